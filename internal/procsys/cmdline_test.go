package procsys

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ros-os/ros/internal/slot"
)

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		name, in string
		slot     slot.Slot
		root     string
	}{
		{"slot and root", "console=ttyS0 root=PARTLABEL=ROS-ROOT-A ros.slot=a quiet", slot.A, "PARTLABEL=ROS-ROOT-A"},
		{"quoted", `ros.slot="b" root="PARTLABEL=ROS-ROOT-B"`, slot.B, "PARTLABEL=ROS-ROOT-B"},
		{"the last ros.slot wins, as in the kernel", "ros.slot=a root=x ros.slot=b", slot.B, "x"},
		{"not a slot", "ros.slot=c", "", ""},
		{"none", "console=ttyS0 panic=10", "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ParseCmdline(tt.in)
			if c.Slot != tt.slot || c.Root != tt.root {
				t.Fatalf("ParseCmdline(%q) = slot %q root %q, want %q %q", tt.in, c.Slot, c.Root, tt.slot, tt.root)
			}
		})
	}
}

func TestBootedSlot(t *testing.T) {
	root := t.TempDir()
	fs := FS{root}
	if _, _, err := fs.BootedSlot(); err == nil {
		t.Fatal("BootedSlot without /proc/cmdline: no error")
	}
	write(t, root, "proc/cmdline", "console=ttyS0 ros.autologin\n")
	if _, _, err := fs.BootedSlot(); err == nil {
		t.Fatal("BootedSlot without ros.slot: no error")
	}
	write(t, root, "proc/cmdline", "root=PARTLABEL=ros-root-b ros.slot=b ros.autologin\n")
	s, c, err := fs.BootedSlot()
	if err != nil || s != slot.B || !c.Has("ros.autologin") || c.Has("quiet") {
		t.Fatalf("BootedSlot = %q, %+v, %v", s, c, err)
	}
}

func write(t *testing.T, root, name, data string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
