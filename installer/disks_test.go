package installer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ros-os/ros/internal/procsys"
)

// Disks lists whole disks with their size, model and what they hold,
// leaving out partitions, CD drives, loop and device-mapper devices.
func TestDisks(t *testing.T) {
	root := t.TempDir()
	sys := procsys.FS{Root: root}
	dev := filepath.Join(root, "dev")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	add := func(name, devtype, sectors, model string, content []byte) {
		d := filepath.Join(sys.SysClassBlock(), name)
		must(os.MkdirAll(filepath.Join(d, "device"), 0o755))
		must(os.WriteFile(filepath.Join(d, "uevent"), []byte("DEVNAME="+name+"\nDEVTYPE="+devtype+"\n"), 0o644))
		must(os.WriteFile(filepath.Join(d, "size"), []byte(sectors+"\n"), 0o644))
		if model != "" {
			must(os.WriteFile(filepath.Join(d, "device", "model"), []byte(model+"   \n"), 0o644))
		}
		must(os.MkdirAll(dev, 0o755))
		must(os.WriteFile(filepath.Join(dev, name), content, 0o644))
	}
	gpt := make([]byte, 1024)
	copy(gpt[512:], "EFI PART")
	add("vda", "disk", "20971520", "QEMU HARDDISK", make([]byte, 4096))
	add("vdb", "disk", "2097152", "", gpt)
	add("vdb1", "partition", "1000", "", nil)
	add("sr0", "disk", "1000", "QEMU DVD-ROM", nil)
	add("loop0", "disk", "1000", "", nil)
	add("dm-0", "disk", "1000", "", nil)
	got := Disks(sys, dev)
	want := []Disk{
		{Path: filepath.Join(dev, "vda"), Size: 20971520 * 512, Model: "QEMU HARDDISK"},
		{Path: filepath.Join(dev, "vdb"), Size: 2097152 * 512, Holds: "a GPT partition table"},
	}
	if len(got) != len(want) {
		t.Fatalf("disks %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("disk %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
