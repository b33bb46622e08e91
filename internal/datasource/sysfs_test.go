package datasource

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ros-os/ros/internal/procsys"
)

func TestBlockDevices(t *testing.T) {
	devices := []struct {
		dir, devname, size string // "" size: no size file
		want               bool
	}{
		{"vda", "vda", "2097152", true},
		{"vda1", "vda1", "1024", true},
		{"vdb", "vdb", "720\n", true},
		{"sda", "sda", "8", true},
		{"sr0", "sr0", "0", false},
		{"sr1", "sr1", "2048", true},
		{"loop0", "loop0", "100", false},
		{"ram0", "ram0", "8192", false},
		{"zram0", "zram0", "8192", false},
		{"cciss!c0d0", "cciss/c0d0", "64", true},
		{"nodevname", "", "64", false},
		{"nosize", "nosize", "", false},
		{"badsize", "badsize", "many", false},
	}
	root := t.TempDir()
	sys := procsys.FS{Root: root}.SysClassBlock()
	var want []string
	for _, d := range devices {
		fakeBlock(t, sys, d.dir, d.devname, d.size)
		if d.want {
			want = append(want, "/dev/"+d.devname)
		}
	}
	slices.Sort(want)
	if got := BlockDevices(procsys.FS{Root: root}); !slices.Equal(got, want) {
		t.Errorf("BlockDevices() = %q; want %q", got, want)
	}
	if got := BlockDevices(procsys.FS{Root: filepath.Join(root, "missing")}); got != nil {
		t.Errorf("BlockDevices(missing) = %q; want none", got)
	}
}

// fakeBlock writes the uevent and size files of a block device under sys.
func fakeBlock(t *testing.T, sys, dir, devname, size string) {
	t.Helper()
	d := filepath.Join(sys, dir)
	uevent := "MAJOR=253\nMINOR=0\nDEVTYPE=disk\n"
	if devname != "" {
		uevent += "DEVNAME=" + devname + "\n"
	}
	writeFile(t, filepath.Join(d, "uevent"), uevent)
	if size != "" {
		writeFile(t, filepath.Join(d, "size"), size)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
