package installer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	diskfs "github.com/diskfs/go-diskfs"
	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/internal/testutil/need"
	"github.com/ros-os/ros/partitions"
)

// targetMin is the least disk size the target tests ask for.
const targetMin = 3 * partitions.GiB

func TestOpenTargetImage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, path string) // nil: path does not exist
		size    int64
		want    error  // sentinel; nil: success
		msg     string // in the error message
		wantLen int64  // size of the target on success
	}{
		{name: "new file", size: 4 * partitions.GiB, wantLen: 4 * partitions.GiB},
		{name: "missing without size", want: ErrNotFound, msg: "give --size, e.g. --size 4G"},
		{name: "new file too small", size: partitions.GiB, want: partitions.ErrDiskTooSmall, msg: "at least 3 GiB"},
		{name: "negative size", size: -1, want: ErrBadSize},
		{name: "directory", setup: mkdir, want: ErrNotDisk, msg: "is a directory"},
		{name: "zero file", setup: sparse(targetMin), wantLen: targetMin},
		{name: "grow", setup: sparse(targetMin), size: 4 * partitions.GiB, wantLen: 4 * partitions.GiB},
		{name: "same size", setup: sparse(targetMin), size: targetMin, wantLen: targetMin},
		{name: "shrink", setup: sparse(4 * partitions.GiB), size: targetMin, want: ErrBadSize, msg: "never shrinks"},
		{name: "existing too small", setup: sparse(partitions.GiB), want: partitions.ErrDiskTooSmall, msg: "at least 3 GiB"},
		{name: "empty file", setup: sparse(0), want: partitions.ErrDiskTooSmall},
		{name: "grow too little", setup: sparse(partitions.GiB), size: 2 * partitions.GiB, want: partitions.ErrDiskTooSmall},
		{name: "grow with data", setup: withMagic(partitions.GiB, 1080, "\x53\xef"), size: 4 * partitions.GiB, want: ErrHasData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "disk.img")
			if tc.setup != nil {
				tc.setup(t, path)
			}
			before := snapshot(t, path)
			got, err := OpenTarget(path, tc.size, targetMin, false)
			if tc.want != nil {
				checkRefused(t, err, tc.want, tc.msg)
				if after := snapshot(t, path); after != before {
					t.Errorf("a refused OpenTarget changed %s: %s, was %s", path, after, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenTarget: %v", err)
			}
			want := Target{Path: path, Size: tc.wantLen, SectorSize: 512}
			if *got != want {
				t.Errorf("OpenTarget = %+v, want %+v", *got, want)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() != tc.wantLen {
				t.Errorf("%s is %d bytes, want %d", path, fi.Size(), tc.wantLen)
			}
			if used := fi.Sys().(*syscall.Stat_t).Blocks * 512; used > 0 {
				t.Errorf("%s uses %d bytes on disk, want 0 (sparse)", path, used)
			}
		})
	}
}

func TestOpenTargetCharDevice(t *testing.T) {
	_, err := OpenTarget("/dev/null", 0, targetMin, true)
	checkRefused(t, err, ErrNotDisk, "character device")
}

// TestOpenTargetSignatures writes each signature into a zero image: it
// must be refused, naming what it found, and pass with force.
func TestOpenTargetSignatures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offset int64
		magic  string
		what   string
	}{
		{"MBR", 510, "\x55\xaa", "an MBR partition table"},
		{"GPT 512", 512, "EFI PART", "a GPT partition table"},
		{"GPT 4096", 4096, "EFI PART", "a GPT partition table"},
		{"ext4", 1080, "\x53\xef", "an ext2/3/4 file system"},
		{"squashfs", 0, "hsqs", "a squashfs file system"},
		{"FAT16", 54, "FAT16   ", "a FAT file system"},
		{"FAT32", 82, "FAT32   ", "a FAT file system"},
		{"XFS", 0, "XFSB", "an XFS file system"},
		{"btrfs", 65600, "_BHRfS_M", "a btrfs file system"},
		{"LUKS", 0, "LUKS\xba\xbe", "a LUKS encrypted volume"},
		{"swap", 4086, "SWAPSPACE2", "a swap area"},
		{"ISO 9660", 32769, "CD001", "an ISO 9660 file system"},
		{"LVM", 512, "LABELONE", "an LVM physical volume"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "disk.img")
			withMagic(targetMin, tc.offset, tc.magic)(t, path)
			checkHasData(t, path, tc.what)
		})
	}
}

// TestOpenTargetRealSignatures checks the signatures against what the real
// tools write.
func TestOpenTargetRealSignatures(t *testing.T) {
	for _, tc := range []struct {
		name string
		tool string
		args []string // the image path is appended
		what string
	}{
		{"sgdisk", "sgdisk", []string{"-n", "1:0:+1M"}, "a GPT partition table"},
		{"mkfs.ext4", "mkfs.ext4", []string{"-q", "-F"}, "an ext2/3/4 file system"},
		{"mkfs.vfat FAT32", "mkfs.vfat", []string{"-F", "32"}, "a FAT file system"},
		{"mkfs.vfat FAT16", "mkfs.vfat", []string{"-F", "16", "-C"}, "a FAT file system"},
		{"mkswap", "mkswap", nil, "a swap area"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tool := need.Tool(t, tc.tool)
			path := filepath.Join(t.TempDir(), "disk.img")
			size := targetMin
			if tc.tool == "mkfs.vfat" && tc.args[1] == "16" {
				size = 256 * partitions.MiB // FAT16 holds at most 4 GiB; -C creates the file
				runTargetTool(t, tool, append(tc.args, path, fmt.Sprint(size/1024))...)
				if err := os.Truncate(path, targetMin); err != nil {
					t.Fatal(err)
				}
			} else {
				sparse(size)(t, path)
				runTargetTool(t, tool, append(tc.args, path)...)
			}
			checkHasData(t, path, tc.what)
		})
	}
	t.Run("mksquashfs", func(t *testing.T) {
		tool := need.Tool(t, "mksquashfs")
		path := filepath.Join(t.TempDir(), "disk.img")
		runTargetTool(t, tool, t.TempDir(), path, "-quiet", "-noappend")
		if err := os.Truncate(path, targetMin); err != nil {
			t.Fatal(err)
		}
		checkHasData(t, path, "a squashfs file system")
	})
}

func checkHasData(t *testing.T, path, what string) {
	t.Helper()
	before := snapshot(t, path)
	_, err := OpenTarget(path, 0, targetMin, false)
	checkRefused(t, err, ErrHasData, what)
	if !strings.HasSuffix(err.Error(), ": use --force to overwrite it (everything on it is lost)") {
		t.Errorf("error %q does not say to use --force", err)
	}
	if after := snapshot(t, path); after != before {
		t.Errorf("a refused OpenTarget changed %s", path)
	}
	if _, err := OpenTarget(path, 0, targetMin, true); err != nil {
		t.Errorf("with force: %v", err)
	}
}

func TestSniffOrder(t *testing.T) {
	// A GPT disk and a FAT file system carry an MBR boot signature too.
	header := make([]byte, headerSize())
	copy(header[510:], "\x55\xaa")
	copy(header[82:], "FAT32   ")
	if got := sniff(header); got != "a FAT file system" {
		t.Errorf("FAT with boot signature: %q", got)
	}
	copy(header[512:], "EFI PART")
	if got := sniff(header); got != "a GPT partition table" {
		t.Errorf("GPT with protective MBR: %q", got)
	}
	if got := sniff(header[:84]); got != "" {
		t.Errorf("short header: %q", got)
	}
}

// TestSystemChecks runs the partition, mount and holder checks on a fake
// sysfs: disk vdb (252:16) with partitions vdb1 (252:17) and vdb2 (252:18).
func TestSystemChecks(t *testing.T) {
	disk, part1, part2 := unix.Mkdev(252, 16), unix.Mkdev(252, 17), unix.Mkdev(252, 18)
	for _, tc := range []struct {
		name      string
		dev       uint64
		mountinfo string
		holder    string // a holder of vdb2
		want      error
		msg       string
	}{
		{name: "unused disk", dev: disk},
		{name: "partition", dev: part1, want: ErrNotDisk, msg: "/dev/vdb1 is a partition: give the whole disk, e.g. /dev/vdb"},
		{name: "disk mounted", dev: disk, mountinfo: "40 22 252:16 / /mnt rw - ext4 /dev/vdb rw", want: ErrMounted, msg: "/dev/vdb is mounted on /mnt: unmount it first"},
		{name: "partition mounted", dev: disk, mountinfo: "40 22 252:18 / /var/my\\040data rw - ext4 /dev/vdb2 rw", want: ErrMounted,
			msg: "partition /dev/vdb2 of /dev/vdb is mounted on /var/my data: unmount it first"},
		{name: "other disk mounted", dev: disk, mountinfo: "40 22 252:32 / /mnt rw - ext4 /dev/vdc rw"},
		{name: "partition held", dev: disk, holder: "dm-0", want: ErrMounted, msg: "partition /dev/vdb2 of /dev/vdb is held by dm-0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeSystem(t, tc.mountinfo, map[string]uint64{"vdb": disk, "vdb1": part1, "vdb2": part2})
			if tc.holder != "" {
				if err := os.Mkdir(filepath.Join(s.DevDir(part2), "holders", tc.holder), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			path := "/dev/" + map[uint64]string{disk: "vdb", part1: "vdb1"}[tc.dev]
			err := checkWholeDisk(s, path, tc.dev)
			if err == nil {
				err = checkUnused(s, path, tc.dev)
			}
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkRefused(t, err, tc.want, tc.msg)
		})
	}
}

// fakeSystem makes a sysfs tree like the kernel's for the disk and its
// partitions (the first name is the disk), and a mountinfo file.
func fakeSystem(t *testing.T, mountinfo string, devs map[string]uint64) procsys.FS {
	s := procsys.FS{Root: t.TempDir()}
	sysfs := s.Path("/sys")
	block := filepath.Join(sysfs, "devices", "virtual", "block")
	for name, dev := range devs {
		dir := filepath.Join(block, name)
		if disk := strings.TrimRight(name, "0123456789"); disk != name {
			dir = filepath.Join(block, disk, name)
			writeTargetFile(t, filepath.Join(dir, "partition"), name[len(disk):])
		}
		writeTargetFile(t, filepath.Join(dir, "dev"), fmt.Sprintf("%d:%d", unix.Major(dev), unix.Minor(dev)))
		if err := os.MkdirAll(filepath.Join(dir, "holders"), 0o755); err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Join(sysfs, "dev", "block"), dir)
		if err := os.MkdirAll(filepath.Join(sysfs, "dev", "block"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(rel, s.DevDir(dev)); err != nil {
			t.Fatal(err)
		}
	}
	writeTargetFile(t, s.Path("/proc/self/mountinfo"), "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/vda2 rw\n"+mountinfo)
	writeTargetFile(t, s.Path("/proc/swaps"), "Filename\tType\tSize\tUsed\tPriority\n")
	return s
}

func writeTargetFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOpenTargetLoop checks OpenTarget on loop devices, which is what it
// sees on a real disk. It needs root.
func TestOpenTargetLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("uses loop devices")
	}
	need.Root(t)
	for _, ss := range []int64{512, 4096} {
		t.Run(fmt.Sprintf("empty %d", ss), func(t *testing.T) {
			dev := attachTargetLoop(t, 4*partitions.GiB, ss)
			got, err := OpenTarget(dev, 0, targetMin, false)
			if err != nil {
				t.Fatal(err)
			}
			want := Target{Path: dev, Size: 4 * partitions.GiB, Block: true, SectorSize: ss}
			if *got != want {
				t.Errorf("OpenTarget = %+v, want %+v", *got, want)
			}
			// Closed again: install opens it without O_EXCL later.
			holdExclusive(t, dev)
		})
	}
	t.Run("too small", func(t *testing.T) {
		dev := attachTargetLoop(t, partitions.GiB, 512)
		_, err := OpenTarget(dev, 0, targetMin, false)
		checkRefused(t, err, partitions.ErrDiskTooSmall, "at least 3 GiB")
	})
	t.Run("size on a device", func(t *testing.T) {
		dev := attachTargetLoop(t, 4*partitions.GiB, 512)
		_, err := OpenTarget(dev, 4*partitions.GiB, targetMin, false)
		checkRefused(t, err, ErrBadSize, "leave out --size")
	})
	t.Run("open exclusively", func(t *testing.T) {
		dev := attachTargetLoop(t, 4*partitions.GiB, 512)
		holdExclusive(t, dev)
		_, err := OpenTarget(dev, 0, targetMin, true)
		checkRefused(t, err, ErrInUse, "open by another program")
	})
	t.Run("mounted", func(t *testing.T) {
		mkfs := need.Tool(t, "mkfs.ext4")
		dev := attachTargetLoop(t, 4*partitions.GiB, 512)
		runTargetTool(t, mkfs, "-q", dev)
		dir := mountTarget(t, dev)
		_, err := OpenTarget(dev, 0, targetMin, true)
		checkRefused(t, err, ErrMounted, dev+" is mounted on "+dir+": unmount it first")
	})
	t.Run("partitioned", func(t *testing.T) {
		dev := attachTargetLoop(t, 4*partitions.GiB, 512)
		writeTargetGPT(t, dev)
		_, err := OpenTarget(dev, 0, targetMin, false)
		checkRefused(t, err, ErrHasData, dev+" holds a GPT partition table: use --force")
		if _, err := OpenTarget(dev, 0, targetMin, true); err != nil {
			t.Fatalf("with force: %v", err)
		}
		part := loopPartition(t, dev, 1)
		_, err = OpenTarget(part, 0, targetMin, true)
		checkRefused(t, err, ErrNotDisk, part+" is a partition: give the whole disk, e.g. "+dev)

		t.Run("partition mounted", func(t *testing.T) {
			state := loopPartition(t, dev, 4)
			runTargetTool(t, need.Tool(t, "mkfs.ext4"), "-q", state)
			dir := mountTarget(t, state)
			_, err := OpenTarget(dev, 0, targetMin, true)
			checkRefused(t, err, ErrMounted, "partition "+state+" of "+dev+" is mounted on "+dir)
		})
		t.Run("partition swap", func(t *testing.T) {
			slot := loopPartition(t, dev, 3)
			runTargetTool(t, need.Tool(t, "mkswap"), slot)
			swapon := need.Tool(t, "swapon")
			if out, err := exec.Command(swapon, slot).CombinedOutput(); err != nil {
				need.Missing(t, "cannot swapon here: %v: %s", err, out)
			}
			t.Cleanup(func() { runTargetTool(t, need.Tool(t, "swapoff"), slot) })
			_, err := OpenTarget(dev, 0, targetMin, true)
			checkRefused(t, err, ErrMounted, "partition "+slot+" of "+dev+" is used as swap: swapoff "+slot+" first")
		})
	})
}

// attachTargetLoop attaches a new sparse image of size bytes as a loop
// device with sectorSize-byte sectors, detached at the end of the test.
func attachTargetLoop(t *testing.T, size, sectorSize int64) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "disk.img")
	sparse(size)(t, img)
	return need.Loop(t, img, sectorSize)
}

// writeTargetGPT writes the ros layout on dev, as install would.
func writeTargetGPT(t *testing.T, dev string) {
	t.Helper()
	tg, err := OpenTarget(dev, 0, targetMin, false)
	if err != nil {
		t.Fatal(err)
	}
	placed, err := partitions.Plan(partitions.DefaultLayout(partitions.Sizes{}), tg.Size, tg.SectorSize)
	if err != nil {
		t.Fatal(err)
	}
	d, err := diskfs.Open(dev, diskfs.WithOpenMode(diskfs.ReadWrite))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := partitions.Write(d, placed); err != nil {
		t.Fatalf("writing GPT: %v", err)
	}
}

// loopPartition returns partition n of the loop device dev. A kernel
// without GPT support (CONFIG_EFI_PARTITION) finds no partitions; then
// partx reads the table itself and adds them.
func loopPartition(t *testing.T, dev string, n int) string {
	t.Helper()
	part := fmt.Sprintf("%sp%d", dev, n)
	if _, err := os.Stat(part); err == nil {
		return part
	}
	partx := need.Tool(t, "partx")
	if out, err := exec.Command(partx, "--add", dev).CombinedOutput(); err != nil {
		need.Missing(t, "the kernel did not create %s and partx --add failed: %v: %s", part, err, out)
	}
	if _, err := os.Stat(part); err != nil {
		need.Missing(t, "the kernel has no node %s even after partx --add (no devtmpfs?)", part)
	}
	return part
}

// mountTarget mounts dev on a new directory, unmounted at the end of the
// test. Mounting is something the machine may not allow (need.Missing).
func mountTarget(t *testing.T, dev string) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount(dev, dir, "ext4", 0, ""); err != nil {
		need.Missing(t, "cannot mount %s here: %v", dev, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// holdExclusive opens dev with O_EXCL until the end of the test.
func holdExclusive(t *testing.T, dev string) {
	t.Helper()
	f, err := os.OpenFile(dev, os.O_RDONLY|unix.O_EXCL, 0)
	if err != nil {
		t.Fatalf("opening %s exclusively: %v", dev, err)
	}
	t.Cleanup(func() { f.Close() })
}

func checkRefused(t *testing.T, err, want error, msg string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("no error, want %v", want)
	case !errors.Is(err, want):
		t.Fatalf("error %q is not %v", err, want)
	case !strings.Contains(err.Error(), msg):
		t.Errorf("error %q does not say %q", err, msg)
	case strings.Contains(err.Error(), "\n"):
		t.Errorf("error %q is not one line", err)
	}
}

func mkdir(t *testing.T, path string) {
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

// sparse returns a setup that makes a zero image of size bytes.
func sparse(size int64) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
	}
}

// withMagic returns a setup that makes a zero image of size bytes with
// magic at offset.
func withMagic(size, offset int64, magic string) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		sparse(size)(t, path)
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt([]byte(magic), offset); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot describes path: its kind, size and first MiB, to see that a
// refusal changed nothing.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return "missing"
	}
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() {
		return fi.Mode().String()
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, partitions.MiB)
	if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d bytes, %x", fi.Size(), bytes.TrimRight(b, "\x00"))
}

func runTargetTool(t *testing.T, tool string, args ...string) {
	t.Helper()
	if out, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
}
