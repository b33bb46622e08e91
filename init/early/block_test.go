package early

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/procsys"
)

const vda2Uevent = "MAJOR=254\nMINOR=2\nDEVNAME=vda2\nDEVTYPE=partition\nDISKSEQ=1\nPARTN=2\nPARTNAME=ros-root-a\n"

func TestMatch(t *testing.T) {
	part := procsys.ParseUevent(vda2Uevent)
	disk := procsys.ParseUevent("MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n")
	tests := []struct {
		name string
		m    match
		ue   map[string]string
		want bool
	}{
		{name: "label", m: match{partlabel: "ros-root-a"}, ue: part, want: true},
		{name: "other label", m: match{partlabel: "ros-root-b"}, ue: part},
		{name: "label on a disk", m: match{partlabel: "ros-root-a"}, ue: disk},
		{name: "devname", m: match{devname: "vda2"}, ue: part, want: true},
		{name: "whole disk", m: match{devname: "vda"}, ue: disk, want: true},
		{name: "other devname", m: match{devname: "vda"}, ue: part},
		{name: "no DEVNAME", m: match{partlabel: "x"}, ue: map[string]string{"PARTNAME": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.matches(tt.ue); got != tt.want {
				t.Errorf("%s matches = %v, want %v", tt.m, got, tt.want)
			}
		})
	}
}

// fakeBlock makes a /sys/class/block and /dev with the given uevents;
// names in noNode get no device node yet.
func fakeBlock(t *testing.T, uevents map[string]string, noNode ...string) (sys procsys.FS, dev string) {
	t.Helper()
	root := t.TempDir()
	sys, dev = procsys.FS{Root: root}, filepath.Join(root, "dev")
	for name, ue := range uevents {
		if err := os.MkdirAll(filepath.Join(sys.SysClassBlock(), name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sys.SysClassBlock(), name, "uevent"), []byte(ue), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dev, 0o755); err != nil {
		t.Fatal(err)
	}
	for name := range uevents {
		if !contains(noNode, name) {
			if err := os.WriteFile(filepath.Join(dev, name), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return sys, dev
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func TestFindBlock(t *testing.T) {
	disk := map[string]string{
		"vda":  "DEVNAME=vda\nDEVTYPE=disk\n",
		"vda1": "DEVNAME=vda1\nDEVTYPE=partition\nPARTNAME=ros-esp\n",
		"vda2": vda2Uevent,
		"vda4": "DEVNAME=vda4\nDEVTYPE=partition\nPARTNAME=ros-state\n",
		// A USB stick with another ros on it: its state partition has
		// the same name. Which disk booted is unknown here (no efivarfs),
		// so neither is taken (partitions.DeviceByLabelIn decides when it
		// is known: TestDeviceByLabel).
		"sda":  "DEVNAME=sda\nDEVTYPE=disk\n",
		"sda4": "DEVNAME=sda4\nDEVTYPE=partition\nPARTNAME=ros-state\n",
	}
	tests := []struct {
		name   string
		m      match
		noNode []string
		want   string // relative to dev, "" for not found
	}{
		{name: "root by label", m: match{partlabel: "ros-root-a"}, want: "vda2"},
		{name: "a label on two disks, the boot disk unknown", m: match{partlabel: "ros-state"}},
		{name: "by device", m: match{devname: "vda1"}, want: "vda1"},
		{name: "missing label", m: match{partlabel: "ros-root-b"}},
		{name: "node not created yet", m: match{partlabel: "ros-root-a"}, noNode: []string{"vda2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys, dev := fakeBlock(t, disk, tt.noNode...)
			got, ok := findBlock(sys, dev, tt.m)
			want := ""
			if tt.want != "" {
				want = filepath.Join(dev, tt.want)
			}
			if got != want || ok != (tt.want != "") {
				t.Errorf("findBlock = %q, %v, want %q", got, ok, want)
			}
		})
	}
}

func TestWaitFor(t *testing.T) {
	tests := []struct {
		name      string
		foundAt   int // call that succeeds, 0 for never
		timeout   time.Duration
		slowAfter time.Duration
		wantOK    bool
		wantSlow  int
	}{
		{name: "at once", foundAt: 1, timeout: time.Second, slowAfter: time.Second, wantOK: true},
		{name: "after a few polls", foundAt: 5, timeout: time.Second, slowAfter: time.Second, wantOK: true},
		{name: "slow, logged once", foundAt: 20, timeout: time.Second, slowAfter: 2 * time.Millisecond, wantOK: true, wantSlow: 1},
		{name: "never", timeout: 20 * time.Millisecond, slowAfter: time.Millisecond, wantSlow: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, slow := 0, 0
			find := func() (string, bool) {
				calls++
				return "/dev/vda2", calls == tt.foundAt
			}
			got, ok := waitFor(find, tt.timeout, time.Millisecond, tt.slowAfter, func() { slow++ })
			if ok != tt.wantOK || (ok && got != "/dev/vda2") {
				t.Errorf("waitFor = %q, %v, want ok %v", got, ok, tt.wantOK)
			}
			if slow != tt.wantSlow {
				t.Errorf("slow called %d times, want %d", slow, tt.wantSlow)
			}
		})
	}
}

func TestDescribeBlock(t *testing.T) {
	sys, _ := fakeBlock(t, map[string]string{"vda": "DEVNAME=vda\n", "vda1": "DEVNAME=vda1\nPARTNAME=ros-esp\n"})
	got := describeBlock(sys.Block())
	if want := "block devices seen: vda, vda1 (PARTLABEL=ros-esp)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := describeBlock(nil); !strings.Contains(got, "no block devices") {
		t.Errorf("describeBlock(nil) = %q", got)
	}
}
