package upgrader

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/installer"
	"github.com/ros-os/ros/internal/testimage"
	"github.com/ros-os/ros/internal/testutil/need"
	"github.com/ros-os/ros/partitions"
	"github.com/ros-os/ros/upgrader/slotstate"
)

// machine is an installed disk image (v1 in slot A) and an ESP directory
// holding slot A's entry, as the running system would see them.
type machine struct {
	disk, esp, record string
}

func newMachine(t *testing.T) *machine {
	t.Helper()
	need.OnPath(t, "mkfs.fat", "mmd", "mcopy", "mkfs.ext4", "xz", "mksquashfs")
	ref, _ := testimage.Layout(t, testimage.New(t, "1.0.0", "amd64", 200), "1.0.0")
	m := &machine{disk: filepath.Join(t.TempDir(), "disk.img"), esp: t.TempDir(), record: filepath.Join(t.TempDir(), "record.json")}
	opts := installer.Options{Device: m.disk, Image: ref, Size: 1 << 30, Sizes: partitions.Sizes{Slot: 64 << 20}}
	if _, err := installer.Install(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if err := bootloader.WriteEntry(bootloader.DirFS(m.esp), bootloader.SlotEntry("a", "1.0.0", "console=ttyS0")); err != nil {
		t.Fatal(err)
	}
	return m
}

// fingerprint hashes what an upgrade must never change: slot A, STATE, and
// the ESP's entries other than slot B's.
func (m *machine) fingerprint(t *testing.T) string {
	t.Helper()
	table, err := partitions.Read(m.disk)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(m.disk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	for _, label := range []string{partitions.RootLabel("a"), partitions.LabelState} {
		p, _ := partitions.Find(table, label)
		if _, err := io.Copy(h, io.NewSectionReader(f, p.Offset(), p.Size())); err != nil {
			t.Fatal(err)
		}
	}
	entry, _ := os.ReadFile(filepath.Join(m.esp, "loader/entries/ros-a.conf"))
	h.Write(entry)
	return string(h.Sum(nil))
}

func (m *machine) upgrade(t *testing.T, ref string, slot Slot, esp bootloader.FS) error {
	t.Helper()
	if slot == nil {
		sec, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
		if err != nil {
			t.Fatal(err)
		}
		defer sec.Close()
		slot = sec
	}
	if esp == nil {
		esp = bootloader.DirFS(m.esp)
	}
	_, err := Upgrade(context.Background(), Options{Ref: ref, Booted: "a", Running: "1.0.0", Cmdline: "console=ttyS0 ros.autologin",
		Slot: slot, ESP: esp, Record: m.record, Lock: filepath.Join(t.TempDir(), "lock")})
	return err
}

func push(t *testing.T, img v1.Image, ref string) {
	t.Helper()
	if err := artifact.Push(img, ref); err != nil {
		t.Fatal(err)
	}
}

// An upgrade from a registry writes slot B, its kernel, initramfs and a
// trial entry, records the pending upgrade, and changes nothing else.
func TestUpgradeFromRegistry(t *testing.T) {
	m := newMachine(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	push(t, testimage.New(t, "2.0.0", "amd64", 200), host+"/ros/os:2.0.0")
	before := m.fingerprint(t)
	if err := m.upgrade(t, host+"/ros/os:2.0.0", nil, nil); err != nil {
		t.Fatal(err)
	}
	if m.fingerprint(t) != before {
		t.Fatal("the upgrade changed slot A, STATE or slot A's entry")
	}
	entries, err := bootloader.ReadEntries(bootloader.DirFS(m.esp))
	if err != nil {
		t.Fatal(err)
	}
	next, _ := bootloader.Pick(entries)
	if next.ID != "ros-b" || next.Counter == nil || next.Counter.Left != 3 || !strings.Contains(next.Options, "ros.autologin") {
		t.Fatalf("next boot is %+v, want slot b on trial with 3 tries and the user's arguments", next)
	}
	for _, f := range []string{"ros/b/vmlinuz", "ros/b/initrd"} {
		if fi, err := os.Stat(filepath.Join(m.esp, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s missing on the ESP: %v", f, err)
		}
	}
	rec, err := slotstate.LoadRecord(m.record)
	if err != nil || rec.Pending == nil || rec.Pending.To != "b" || rec.Slots["b"].Version != "2.0.0" {
		t.Fatalf("record: %+v %v", rec, err)
	}
}

// fullESP fails every write, as a full FAT filesystem does.
type fullESP struct{ bootloader.FS }

func (f fullESP) OpenFile(name string, flag int) (filesystem.File, error) {
	if flag&os.O_CREATE != 0 {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	return f.FS.OpenFile(name, flag)
}

// Every bad input is a clear error, and slot A, its entry and STATE stay
// byte for byte the same.
func TestUpgradeRefusals(t *testing.T) {
	m := newMachine(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	v2 := testimage.New(t, "2.0.0", "amd64", 200)
	push(t, v2, host+"/ros/os:2.0.0")
	push(t, testimage.New(t, "3.0.0", "arm64", 200), host+"/ros/os:3.0.0-arm")
	push(t, testimage.New(t, "0.9.0", "amd64", 200), host+"/ros/os:0.9.0")
	tampered := tamperedLayout(t, v2, false)
	truncated := tamperedLayout(t, v2, true)
	small, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	tests := []struct {
		name string
		ref  string
		slot Slot
		esp  bootloader.FS
		want error
	}{
		{"tampered blob", tampered, nil, nil, artifact.ErrDigestMismatch},
		{"truncated blob", truncated, nil, nil, artifact.ErrDigestMismatch},
		{"wrong architecture", host + "/ros/os:3.0.0-arm", nil, nil, artifact.ErrWrongArch},
		{"missing tag", host + "/ros/os:9.9.9", nil, nil, nil},
		{"unreachable registry", "127.0.0.1:1/ros/os:2.0.0", nil, nil, nil},
		{"older version", host + "/ros/os:0.9.0", nil, nil, ErrNotNewer},
		{"slot too small", host + "/ros/os:2.0.0", tinySlot{small}, nil, ErrSlotTooSmall},
		{"full ESP", host + "/ros/os:2.0.0", nil, fullESP{bootloader.DirFS(m.esp)}, syscall.ENOSPC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := m.fingerprint(t)
			err := m.upgrade(t, tt.ref, tt.slot, tt.esp)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("upgrade: %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if m.fingerprint(t) != before {
				t.Fatal("a failed upgrade changed slot A, STATE or slot A's entry")
			}
			entries, _ := bootloader.ReadEntries(bootloader.DirFS(m.esp))
			if next, _ := bootloader.Pick(entries); next.ID != "ros-a" {
				t.Fatalf("after a failed upgrade the next boot is %s, want ros-a", next.ID)
			}
		})
	}
}

// tinySlot claims to be 64 KiB.
type tinySlot struct{ *partitions.Section }

func (tinySlot) Size() int64 { return 64 << 10 }

// tamperedLayout writes img to a layout and flips a byte of (or truncates)
// its rootfs blob.
func tamperedLayout(t *testing.T, img v1.Image, truncate bool) string {
	t.Helper()
	ref, dir := testimage.Layout(t, img, "2.0.0")
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(dir, "blobs/sha256", m.Layers[2].Digest.Hex)
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	if truncate {
		b = b[:len(b)/2]
	} else {
		b[len(b)/2] ^= 0xff
	}
	if err := os.WriteFile(blob, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return ref
}
