package partitions

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ros-os/ros/internal/procsys"
)

// machine is a fake /sys and /dev with ros disks: each disk an image file
// partitioned with the default layout, each partition a sysfs entry (with
// its uevent) under its disk, as the kernel lays them out.
type machine struct {
	sys procsys.FS
	dev string
}

func newMachineFS(t *testing.T) *machine {
	root := t.TempDir()
	m := &machine{sys: procsys.FS{Root: root}, dev: filepath.Join(root, "dev")}
	if err := os.MkdirAll(m.dev, 0o755); err != nil {
		t.Fatal(err)
	}
	return m
}

// addDisk adds disk name with the default layout and returns the table.
func (m *machine) addDisk(t *testing.T, name string, seed byte) []Placed {
	t.Helper()
	img := newImage(t, 4*GiB)
	placed := writeDefault(t, img, 512, seed)
	if err := os.Symlink(img, filepath.Join(m.dev, name)); err != nil {
		t.Fatal(err)
	}
	devices := m.sys.Path("/sys/devices/virtio/block/" + name)
	class := m.sys.SysClassBlock()
	mustWrite(t, filepath.Join(devices, "uevent"), "DEVNAME="+name+"\nDEVTYPE=disk\n")
	mustLink(t, devices, filepath.Join(class, name))
	for i, p := range placed {
		part := name + string(rune('1'+i))
		dir := filepath.Join(devices, part)
		mustWrite(t, filepath.Join(dir, "uevent"), "DEVNAME="+part+"\nDEVTYPE=partition\nPARTNAME="+p.Name+"\n")
		mustWrite(t, filepath.Join(dir, "partition"), "1\n")
		mustLink(t, dir, filepath.Join(class, part))
	}
	return placed
}

// bootedFrom sets systemd-boot's LoaderDevicePartUUID to guid.
func (m *machine) bootedFrom(t *testing.T, guid string) {
	t.Helper()
	b := []byte{7, 0, 0, 0}
	for _, c := range utf16.Encode([]rune(guid + "\x00")) {
		b = append(b, byte(c), byte(c>>8))
	}
	mustWrite(t, filepath.Join(m.sys.Path(procsys.EFIVars), "LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"), string(b))
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustLink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// A second disk that carries ros partition names (a USB stick with another
// ros install, say) is never taken for this machine's: with the ESP
// systemd-boot started from known, the lookup keeps to its disk; without
// it, a name found on two disks is refused with one line.
func TestDeviceByLabel(t *testing.T) {
	m := newMachineFS(t)
	vda := m.addDisk(t, "vda", 1)
	vdb := m.addDisk(t, "vdb", 2)
	label := RootLabel("b")
	_, err := deviceByLabel(m.sys, m.dev, label)
	if !errors.Is(err, ErrAmbiguous) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "vda3 and ") {
		t.Fatalf("two disks, boot disk unknown: %v, want one line with ErrAmbiguous", err)
	}
	for disk, table := range map[string][]Placed{"vda": vda, "vdb": vdb} {
		esp, _ := Find(table, LabelESP)
		m.bootedFrom(t, strings.ToLower(esp.GUID))
		got, err := deviceByLabel(m.sys, m.dev, label)
		if err != nil || got != m.dev+"/"+disk+"3" {
			t.Errorf("booted from %s's ESP: %q, %v; want %s3", disk, got, err, disk)
		}
	}
	m.bootedFrom(t, "01234567-89ab-cdef-0123-456789abcdef")
	if _, err := deviceByLabel(m.sys, m.dev, label); !errors.Is(err, ErrNotFound) {
		t.Errorf("booted from an ESP on no disk here: %v, want ErrNotFound", err)
	}
	if _, err := deviceByLabel(m.sys, m.dev, "no-such"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown name: %v", err)
	}
}

func TestDeviceByLabelOneDisk(t *testing.T) {
	m := newMachineFS(t)
	m.addDisk(t, "vda", 1)
	if got, err := deviceByLabel(m.sys, m.dev, LabelState); err != nil || got != m.dev+"/vda4" {
		t.Fatalf("%q, %v", got, err)
	}
}
