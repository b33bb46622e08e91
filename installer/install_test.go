package installer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/chunked"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/testimage"
	"github.com/ros-os/ros/internal/testutil/need"
	"github.com/ros-os/ros/partitions"
)

const diskSize = 3 << 30

// testImage is a small but real OS image for arch, in an OCI layout.
func testImage(t *testing.T, arch string) string {
	t.Helper()
	ref, _ := testimage.Layout(t, testimage.New(t, "1.0.0", arch, 300), "1.0.0")
	return ref
}

func runOut(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runInstall installs with o, trusting the test key unless o says otherwise.
func runInstall(t *testing.T, o Options) (*Report, error) {
	t.Helper()
	need.OnPath(t, "mkfs.fat", "mmd", "mcopy", "mkfs.ext4", "xz")
	if o.Trust == nil {
		o.Trust = testimage.Trust(t)
	}
	return Install(context.Background(), o)
}

// An install into a new image file gives a disk that the real tools find
// clean, with slot A, systemd-boot and a good entry for slot A.
func TestInstallImageFile(t *testing.T) {
	ref := testImage(t, "amd64")
	disk := filepath.Join(t.TempDir(), "disk.img")
	cc := filepath.Join(t.TempDir(), "cc.yml")
	write(t, cc, []byte("#cloud-config\nhostname: test\n"))
	rep, err := runInstall(t, Options{Device: disk, Image: ref, Size: diskSize, CloudConfig: cc})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Version != "1.0.0" || rep.SlotBytes == 0 || len(rep.Phases) != 6 {
		t.Fatalf("report: %+v", rep)
	}
	checkDisk(t, disk, rep)
	if got := stateFile(t, disk, CloudConfigPath); got != "#cloud-config\nhostname: test\n" {
		t.Fatalf("cloud-config on STATE: %q", got)
	}
	// What slot a holds, for the first upgrade's plan: the image's chunks.
	var ix chunked.Index
	raw := stateFile(t, disk, strings.TrimPrefix(chunked.SlotFile(contract.RecordDir, "a"), "/"))
	if err := json.Unmarshal([]byte(raw), &ix); err != nil || len(ix.Chunks) == 0 || ix.Size() >= diskSize {
		t.Fatalf("slot a's chunk index on STATE: %v: %.200q", err, raw)
	}
}

// checkDisk runs sgdisk, fsck.fat, e2fsck and unsquashfs on the installed
// disk and reads the ESP back with mtools.
func checkDisk(t *testing.T, disk string, rep *Report) {
	t.Helper()
	if out, err := runOut(need.Tool(t, "sgdisk"), "-v", disk); err != nil || !strings.Contains(string(out), "No problems found") {
		t.Fatalf("sgdisk -v: %v\n%s", err, out)
	}
	table, err := partitions.Read(disk)
	if err != nil {
		t.Fatal(err)
	}
	esp, _ := partitions.Find(table, partitions.LabelESP)
	if out, err := runOut(need.Tool(t, "fsck.fat"), "-n", extract(t, disk, esp)); err != nil {
		t.Fatalf("fsck.fat -n: %v\n%s", err, out)
	}
	state, _ := partitions.Find(table, partitions.LabelState)
	if out, err := runOut(need.Tool(t, "e2fsck"), "-fn", disk+"?offset="+strconv.FormatInt(state.Offset(), 10)); err != nil {
		t.Fatalf("e2fsck -fn: %v\n%s", err, out)
	}
	slot, _ := partitions.Find(table, partitions.RootLabel("a"))
	if out, err := runOut(need.Tool(t, "unsquashfs"), "-s", "-o", strconv.FormatInt(slot.Offset(), 10), disk); err != nil {
		t.Fatalf("unsquashfs -s: %v\n%s", err, out)
	}
	entry := espFile(t, disk, esp, "loader/entries/ros-a.conf")
	want := string(bootloader.SlotEntry("a", 1, rep.Version, "console=ttyS0").Render())
	if entry != want {
		t.Fatalf("ros-a.conf:\n%s\nwant:\n%s", entry, want)
	}
	for _, f := range []string{"EFI/BOOT/BOOTX64.EFI", "ros/a/vmlinuz", "ros/a/initrd", "loader/loader.conf"} {
		if espFile(t, disk, esp, f) == "" {
			t.Errorf("%s is empty or missing on the ESP", f)
		}
	}
	if got := espFile(t, disk, esp, "EFI/BOOT/BOOTX64.EFI"); got != testimage.BootEFI {
		t.Errorf("BOOTX64.EFI is not systemd-boot from the slot: %q", got)
	}
}

// extract copies one partition into a file of its own (fsck.fat takes no offset).
func extract(t *testing.T, disk string, p partitions.Placed) string {
	t.Helper()
	f, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(t.TempDir(), p.Name)
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, err := io.Copy(o, io.NewSectionReader(f, p.Offset(), p.Size())); err != nil {
		t.Fatal(err)
	}
	return out
}

func espFile(t *testing.T, disk string, esp partitions.Placed, path string) string {
	t.Helper()
	cmd := exec.Command(need.Tool(t, "mtype"), "-i", disk+"@@"+strconv.FormatInt(esp.Offset(), 10), "::/"+path)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "MTOOLSRC=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(out)
}

func stateFile(t *testing.T, disk, path string) string {
	t.Helper()
	table, _ := partitions.Read(disk)
	state, _ := partitions.Find(table, partitions.LabelState)
	out, err := exec.Command(need.Tool(t, "debugfs"), "-R", "cat /"+path, disk+"?offset="+strconv.FormatInt(state.Offset(), 10)).Output()
	if err != nil {
		t.Fatalf("debugfs: %v", err)
	}
	return string(out)
}

// failingWriter fails every write past n bytes.
type failingWriter struct {
	w io.WriterAt
	n int64
}

var errInjected = errors.New("injected write error")

func (f *failingWriter) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.n {
		return 0, errInjected
	}
	return f.w.WriteAt(p, off)
}

// A slot write that fails half way leaves an error and no boot entry, also
// when reinstalling over a disk that had one.
func TestInstallSlotWriteFails(t *testing.T) {
	ref := testImage(t, "amd64")
	disk := filepath.Join(t.TempDir(), "disk.img")
	if _, err := runInstall(t, Options{Device: disk, Image: ref, Size: diskSize}); err != nil {
		t.Fatal(err)
	}
	o := Options{Device: disk, Image: ref, Force: true,
		slotWriter: func(w io.WriterAt) io.WriterAt { return &failingWriter{w: w, n: 64 << 10} }}
	if _, err := runInstall(t, o); !errors.Is(err, errInjected) {
		t.Fatalf("install with a failing slot: %v, want the injected error", err)
	}
	table, err := partitions.Read(disk)
	if err != nil {
		t.Fatal(err)
	}
	esp, _ := partitions.Find(table, partitions.LabelESP)
	if got := espFile(t, disk, esp, "loader/entries/ros-a.conf"); got != "" {
		t.Fatalf("a boot entry points at the half-written slot:\n%s", got)
	}
}

// Bad input is refused before a byte is written.
func TestInstallRefusals(t *testing.T) {
	good := testImage(t, "amd64")
	arm := testImage(t, "arm64")
	dir := t.TempDir()
	if err := artifact.WriteLayout(filepath.Join(dir, "unsigned"), testimage.New(t, "1.0.0", "amd64", 300), "1.0.0"); err != nil {
		t.Fatal(err)
	}
	unsigned := "oci-layout:" + filepath.Join(dir, "unsigned") + ":1.0.0"
	used := filepath.Join(dir, "used.img")
	write(t, used, append(make([]byte, 1080), 0x53, 0xef)) // an ext4 superblock magic
	if err := os.Truncate(used, diskSize); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
		want error
	}{
		{"wrong architecture", Options{Device: filepath.Join(dir, "a.img"), Image: arm, Size: diskSize}, artifact.ErrWrongArch},
		{"missing image", Options{Device: filepath.Join(dir, "b.img"), Image: "oci-layout:" + dir + "/nope", Size: diskSize}, nil},
		{"too small", Options{Device: filepath.Join(dir, "c.img"), Image: good, Size: 1 << 30}, partitions.ErrDiskTooSmall},
		{"disk holds data", Options{Device: used, Image: good}, ErrHasData},
		{"no such device", Options{Device: filepath.Join(dir, "d.img"), Image: good}, ErrNotFound},
		{"unsigned image", Options{Device: filepath.Join(dir, "e.img"), Image: unsigned, Size: diskSize}, signature.ErrUnsigned},
		{"no trusted keys", Options{Device: filepath.Join(dir, "f.img"), Image: good, Size: diskSize, Trust: trust.Policy{}}, trust.ErrNoKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := head(t, used)
			_, err := runInstall(t, tt.o)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("install: %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			if after := head(t, used); !bytes.Equal(before, after) {
				t.Fatal("a refused install changed the disk")
			}
			if tt.o.Device != used {
				if _, err := os.Stat(tt.o.Device); err == nil && !errors.Is(tt.want, partitions.ErrDiskTooSmall) {
					t.Fatal("a refused install created the image file")
				}
			}
		})
	}
}

// head is the first MiB of a file, where a refused install would write first.
func head(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1<<20)
	n, _ := io.ReadFull(f, b)
	return b[:n]
}

// The block-device path: install onto a loop device, then check the disk
// through its backing file with the same tools.
func TestInstallLoopDevice(t *testing.T) {
	need.Root(t)
	ref := testImage(t, "amd64")
	dev := attachTargetLoop(t, diskSize, 512)
	rep, err := runInstall(t, Options{Device: dev, Image: ref})
	if err != nil {
		t.Fatal(err)
	}
	checkDisk(t, dev, rep)
	if _, err := runInstall(t, Options{Device: dev, Image: ref}); !errors.Is(err, ErrHasData) {
		t.Fatalf("second install without --force: %v, want ErrHasData", err)
	}
}

// The ESP is read back after the install writes it: a file whose bytes on
// the disk are not the bytes written fails the install with one line.
func TestInstallVerifiesTheESP(t *testing.T) {
	disk := filepath.Join(t.TempDir(), "disk.img")
	if _, err := runInstall(t, Options{Device: disk, Image: testImage(t, "amd64"), Size: diskSize}); err != nil {
		t.Fatal(err)
	}
	tgt, err := OpenTarget(disk, 0, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	placed, err := partitions.Read(disk)
	if err != nil {
		t.Fatal(err)
	}
	in := &install{o: Options{Device: disk}, target: tgt, placed: placed}
	p, err := in.part(partitions.LabelESP)
	if err != nil {
		t.Fatal(err)
	}
	e := newESP(disk, p)
	local := filepath.Join(t.TempDir(), "kernel")
	write(t, local, bytes.Repeat([]byte("ros kernel "), 5000))
	if err := e.put(local, "ros/a/vmlinuz"); err != nil {
		t.Fatal(err)
	}
	if err := in.verifyESP(e, p); err != nil {
		t.Fatalf("verifying an intact ESP: %v", err)
	}
	write(t, local, bytes.Repeat([]byte("ros kernal "), 5000)) // what the disk should have held
	err = in.verifyESP(e, p)
	if !errors.Is(err, artifact.ErrDigestMismatch) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("verifying an ESP that differs from what was written: %v", err)
	}
}
