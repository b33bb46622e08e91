package upgrader

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
	"github.com/ros-os/ros/installer"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/internal/testimage"
	"github.com/ros-os/ros/internal/testutil/need"
	"github.com/ros-os/ros/partitions"
	"github.com/ros-os/ros/upgrader/slotstate"
)

// machine is an installed disk image (v1 in slot A) and an ESP directory
// holding slot A's entry, as the running system would see them.
type machine struct {
	disk, esp, record string
	// slot, if set, is the disk slot b is written through.
	slot func(*partitions.Section) Slot
}

func newMachine(t *testing.T) *machine {
	t.Helper()
	need.OnPath(t, "mkfs.fat", "mmd", "mcopy", "mkfs.ext4", "xz", "mksquashfs")
	ref, _ := testimage.Layout(t, testimage.New(t, "1.0.0", "amd64", 200), "1.0.0")
	m := &machine{disk: filepath.Join(t.TempDir(), "disk.img"), esp: t.TempDir(), record: filepath.Join(t.TempDir(), "record.json")}
	opts := installer.Options{Device: m.disk, Image: ref, Size: 1 << 30, Sizes: partitions.Sizes{Slot: 64 << 20}, Trust: testimage.Trust(t)}
	if _, err := installer.Install(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if err := bootloader.WriteEntry(bootloader.DirFS(m.esp), bootloader.SlotEntry("a", 1, "1.0.0", "console=ttyS0")); err != nil {
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

// upgrade upgrades m to ref; nil slot, esp and trust are m's slot B, m's
// ESP and the test key.
func (m *machine) upgrade(t *testing.T, ref string, slot Slot, esp bootloader.FS, trust Checker) error {
	t.Helper()
	if trust == nil {
		trust = testimage.Trust(t)
	}
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
		Slot: slot, ESP: esp, Record: m.record, Lock: filepath.Join(t.TempDir(), "lock"), Trust: trust})
	return err
}

// push pushes img to ref, signed by the test key.
func push(t *testing.T, img v1.Image, ref string) {
	t.Helper()
	pushUnsigned(t, img, ref)
	testimage.Sign(t, ref)
}

func pushUnsigned(t *testing.T, img v1.Image, ref string) {
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
	if err := m.upgrade(t, host+"/ros/os:2.0.0", nil, nil, nil); err != nil {
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
	pushUnsigned(t, testimage.New(t, "2.1.0", "amd64", 200), host+"/ros/os:2.1.0")
	other := trust.Policy{Keys: []signature.Key{otherKey(t)}}
	tampered := tamperedLayout(t, v2, false)
	truncated := tamperedLayout(t, v2, true)
	small, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	tests := []struct {
		name  string
		ref   string
		slot  Slot
		esp   bootloader.FS
		trust Checker
		want  error
	}{
		{"tampered blob", tampered, nil, nil, nil, artifact.ErrDigestMismatch},
		{"truncated blob", truncated, nil, nil, nil, artifact.ErrDigestMismatch},
		{"wrong architecture", host + "/ros/os:3.0.0-arm", nil, nil, nil, artifact.ErrWrongArch},
		{"missing tag", host + "/ros/os:9.9.9", nil, nil, nil, nil},
		{"unreachable registry", "127.0.0.1:1/ros/os:2.0.0", nil, nil, nil, nil},
		{"older version", host + "/ros/os:0.9.0", nil, nil, nil, ErrNotNewer},
		{"slot too small", host + "/ros/os:2.0.0", tinySlot{small}, nil, nil, ErrSlotTooSmall},
		{"a disk that garbles a write", host + "/ros/os:2.0.0", garblingSlot{small}, nil, nil, artifact.ErrDigestMismatch},
		{"full ESP", host + "/ros/os:2.0.0", nil, fullESP{bootloader.DirFS(m.esp)}, nil, syscall.ENOSPC},
		{"unsigned", host + "/ros/os:2.1.0", nil, nil, nil, signature.ErrUnsigned},
		{"signed by an untrusted key", host + "/ros/os:2.0.0", nil, nil, other, signature.ErrUntrusted},
		{"no trusted keys", host + "/ros/os:2.0.0", nil, nil, trust.Policy{}, trust.ErrNoKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := m.fingerprint(t)
			err := m.upgrade(t, tt.ref, tt.slot, tt.esp, tt.trust)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("upgrade: %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			t.Log(err)
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

// otherKey is a key nothing in the tests is signed with.
func otherKey(t *testing.T) signature.Key {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signature.Key{Name: "other.pub", Public: k.Public()}
}

// tinySlot claims to be 64 KiB.
type tinySlot struct{ *partitions.Section }

func (tinySlot) Size() int64 { return 64 << 10 }

// garblingSlot is a disk that writes one byte wrong (byte 5000 of the
// slot): only reading the slot back finds it.
type garblingSlot struct{ *partitions.Section }

func (g garblingSlot) WriteAt(p []byte, off int64) (int, error) {
	const at = 5000
	if off <= at && at < off+int64(len(p)) {
		p = append([]byte(nil), p...)
		p[at-off] ^= 0x40
	}
	return g.Section.WriteAt(p, off)
}

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

// A second upgrade while the running slot is on trial would overwrite the
// last good slot: refused, with nothing written, unless forced.
func TestUpgradeRefusedOnTrial(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/ros/os:2.0.0"
	push(t, testimage.New(t, "2.0.0", "amd64", 200), ref)
	tests := []struct {
		name  string
		setup func(t *testing.T, m *machine)
	}{
		{"its entry still counts tries", func(t *testing.T, m *machine) {
			if err := bootloader.SetCounter(bootloader.DirFS(m.esp), "ros-a", &bootloader.Counter{Left: 2, Done: 1}); err != nil {
				t.Fatal(err)
			}
		}},
		{"the record has an upgrade to it pending", func(t *testing.T, m *machine) {
			rec := &slotstate.Record{Slots: map[slot.Slot]slotstate.SlotInfo{"a": {Version: "1.0.0"}, "b": {Version: "0.9.0"}},
				Pending: &slotstate.Pending{From: "b", To: "a", FromVersion: "0.9.0", ToVersion: "1.0.0"}}
			if err := rec.Save(m.record); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			tt.setup(t, m)
			before, entries := m.slotB(t), entryNames(t, m.esp)
			sec, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
			if err != nil {
				t.Fatal(err)
			}
			defer sec.Close()
			o := Options{Ref: ref, Booted: "a", Running: "1.0.0", Slot: sec, ESP: bootloader.DirFS(m.esp), Record: m.record,
				Lock: filepath.Join(t.TempDir(), "lock"), Trust: testimage.Trust(t)}
			_, err = Upgrade(context.Background(), o)
			if !errors.Is(err, ErrOnTrial) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "--force") {
				t.Fatalf("upgrade while slot a is on trial: %v, want one line with ErrOnTrial and --force", err)
			}
			if m.slotB(t) != before || !slices.Equal(entryNames(t, m.esp), entries) {
				t.Fatal("the refused upgrade wrote slot B or changed the entries")
			}
			o.Force = true
			if _, err := Upgrade(context.Background(), o); err != nil {
				t.Fatalf("upgrade --force: %v", err)
			}
		})
	}
}

// slotB hashes slot B's partition.
func (m *machine) slotB(t *testing.T) string {
	t.Helper()
	sec, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer sec.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(sec, 0, sec.Size())); err != nil {
		t.Fatal(err)
	}
	return string(h.Sum(nil))
}

func entryNames(t *testing.T, esp string) []string {
	t.Helper()
	des, err := os.ReadDir(filepath.Join(esp, bootloader.EntriesDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

// The slot written last boots next, whatever the version strings say: an
// upgrade from a release candidate to its release (systemd-boot orders
// "1.2.0-rc.1" after "1.2.0"), a "v" prefix, a forced downgrade or
// reinstall. An ESP where another entry would still boot first is refused
// before anything is written.
func TestUpgradeBootsNextWhateverTheVersion(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, v := range []string{"1.2.0", "v1.2.0", "1.1.0"} {
		push(t, testimage.New(t, v, "amd64", 200), host+"/ros/os:"+v)
	}
	tests := []struct {
		name, running, next string
		force               bool
		foreign             string // another OS's entry with this sort-key
		want                error
	}{
		{name: "release after its candidate", running: "1.2.0-rc.1", next: "1.2.0"},
		{name: "v prefix", running: "1.1.0", next: "v1.2.0"},
		{name: "forced downgrade", running: "1.2.0", next: "1.1.0", force: true},
		{name: "forced reinstall", running: "1.2.0", next: "1.2.0", force: true},
		{name: "another OS sorts first", running: "1.1.0", next: "1.2.0", foreign: "debian", want: ErrOrder},
		{name: "another OS sorts last", running: "1.1.0", next: "1.2.0", foreign: "zzz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			esp := bootloader.DirFS(m.esp)
			if err := bootloader.WriteEntry(esp, bootloader.SlotEntry("a", 1, tt.running, "console=ttyS0")); err != nil {
				t.Fatal(err)
			}
			if tt.foreign != "" {
				other := bootloader.Entry{ID: "other", Title: "Other OS", Version: "99", SortKey: tt.foreign, Linux: "/vmlinuz"}
				if err := bootloader.WriteEntry(esp, other); err != nil {
					t.Fatal(err)
				}
			}
			before, names := m.slotB(t), entryNames(t, m.esp)
			sec, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
			if err != nil {
				t.Fatal(err)
			}
			defer sec.Close()
			_, err = Upgrade(context.Background(), Options{Ref: host + "/ros/os:" + tt.next, Booted: "a", Running: tt.running, Force: tt.force,
				Slot: sec, ESP: esp, Record: m.record, Lock: filepath.Join(t.TempDir(), "lock"), Trust: testimage.Trust(t)})
			if tt.want != nil {
				if !errors.Is(err, tt.want) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("upgrade: %v, want one line with %v", err, tt.want)
				}
				if m.slotB(t) != before || !slices.Equal(entryNames(t, m.esp), names) {
					t.Fatal("the refused upgrade wrote slot B or changed the entries")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			entries, err := bootloader.ReadEntries(esp)
			if err != nil {
				t.Fatal(err)
			}
			next, _ := bootloader.Pick(entries)
			if next.ID != "ros-b" || next.OSVersion() != tt.next {
				t.Fatalf("systemd-boot boots %s (version %q), want ros-b with %s", next.FileName(), next.Version, tt.next)
			}
			// Once slot B is good, its entry still sorts first.
			if err := bootloader.SetCounter(esp, "ros-b", nil); err != nil {
				t.Fatal(err)
			}
			entries, _ = bootloader.ReadEntries(esp)
			if next, _ := bootloader.Pick(entries); next.ID != "ros-b" {
				t.Fatalf("after marking slot B good, systemd-boot boots %s", next.FileName())
			}
		})
	}
}

// Once the entry is written, the upgrade has happened: a record that
// cannot be saved after it is a warning, not a failure.
func TestUpgradeRecordNotSaved(t *testing.T) {
	m := newMachine(t)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m.record = filepath.Join(notDir, "record.json") // cannot be created
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/ros/os:2.0.0"
	push(t, testimage.New(t, "2.0.0", "amd64", 200), ref)
	var said []string
	sec, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer sec.Close()
	_, err = Upgrade(context.Background(), Options{Ref: ref, Booted: "a", Running: "1.0.0", Slot: sec, ESP: bootloader.DirFS(m.esp),
		Record: m.record, Lock: filepath.Join(t.TempDir(), "lock"), Trust: testimage.Trust(t), Logf: func(f string, a ...any) { said = append(said, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatalf("upgrade whose record cannot be saved: %v", err)
	}
	entries, _ := bootloader.ReadEntries(bootloader.DirFS(m.esp))
	if next, _ := bootloader.Pick(entries); next.ID != "ros-b" {
		t.Fatalf("next boot %s, want ros-b", next.FileName())
	}
	if !slices.ContainsFunc(said, func(s string) bool { return strings.HasPrefix(s, "warning: ") && strings.Contains(s, "record") }) {
		t.Errorf("no warning about the record: %q", said)
	}
}

// The slot's device is opened exclusively: while it is mounted (the root
// the machine runs from, say) the upgrade refuses to write it.
func TestOpenSlotDeviceRefusesAMountedSlot(t *testing.T) {
	need.OnPath(t, "mkfs.ext4")
	img := filepath.Join(t.TempDir(), "slot.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 32<<20); err != nil {
		t.Fatal(err)
	}
	dev := need.Loop(t, img, 512)
	if out, err := exec.Command("mkfs.ext4", "-q", dev).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v: %s", err, out)
	}
	mnt := t.TempDir()
	if err := syscall.Mount(dev, mnt, "ext4", syscall.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}
	d, err := openSlotDevice(dev, "b")
	if !errors.Is(err, ErrSlotInUse) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("opening a mounted slot: %v, want one line with ErrSlotInUse", err)
	}
	if err := syscall.Unmount(mnt, 0); err != nil {
		t.Fatal(err)
	}
	if d, err = openSlotDevice(dev, "b"); err != nil {
		t.Fatalf("opening the unmounted slot: %v", err)
	}
	d.Close()
}
