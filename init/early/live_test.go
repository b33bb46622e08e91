package early

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/testutil/need"
)

// isoImage is a real ISO9660 image with volume ID id, made by xorriso.
func isoImage(t *testing.T, id string) []byte {
	t.Helper()
	xorriso := need.Tool(t, "xorriso")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "x.iso")
	if b, err := exec.Command(xorriso, "-as", "mkisofs", "-quiet", "-V", id, "-o", out, dir).CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v: %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestISOVolumeID(t *testing.T) {
	iso := isoImage(t, contract.LiveVolume)
	if got := isoVolumeID(bytes.NewReader(iso)); got != contract.LiveVolume {
		t.Errorf("volume ID %q, want %q", got, contract.LiveVolume)
	}
	if got := isoVolumeID(bytes.NewReader(isoImage(t, "OTHER"))); got != "OTHER" {
		t.Errorf("volume ID %q, want OTHER", got)
	}
	for name, b := range map[string][]byte{"empty": nil, "zeros": make([]byte, 64<<10), "truncated": iso[:33000]} {
		if got := isoVolumeID(bytes.NewReader(b)); got != "" {
			t.Errorf("%s: volume ID %q, want none", name, got)
		}
	}
}

// The medium is the one whole disk or CD with the live volume; a partition,
// a loop device or a second medium is not it.
func TestFindMedium(t *testing.T) {
	live, other := isoImage(t, contract.LiveVolume), isoImage(t, "OTHER")
	disk := func(name string) string { return "DEVNAME=" + name + "\nDEVTYPE=disk\n" }
	tests := []struct {
		name    string
		devices map[string][]byte // device → content
		types   map[string]string // uevent, default a disk
		want    string
	}{
		{name: "a CD", devices: map[string][]byte{"sr0": live, "vda": nil}, want: "sr0"},
		{name: "a USB stick written raw", devices: map[string][]byte{"sda": live, "vda": other}, want: "sda"},
		{name: "another ISO only", devices: map[string][]byte{"sr0": other}},
		{name: "on a partition", devices: map[string][]byte{"vda1": live}, types: map[string]string{"vda1": "DEVNAME=vda1\nDEVTYPE=partition\n"}},
		{name: "on a loop device", devices: map[string][]byte{"loop0": live}},
		{name: "two media", devices: map[string][]byte{"sr0": live, "sda": live}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ues := map[string]string{}
			for name := range tt.devices {
				ues[name] = disk(name)
				if ue, ok := tt.types[name]; ok {
					ues[name] = ue
				}
			}
			sys, dev := fakeBlock(t, ues)
			for name, b := range tt.devices {
				if err := os.WriteFile(filepath.Join(dev, name), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, ok := findMedium(sys, dev)
			if tt.want == "" {
				if ok {
					t.Errorf("found %s, want none", got)
				}
				return
			}
			if !ok || got != filepath.Join(dev, tt.want) {
				t.Errorf("found %q (%v), want %s", got, ok, tt.want)
			}
		})
	}
}

// A live boot takes the live steps, an installed one the others.
func TestLiveSteps(t *testing.T) {
	var ran []string
	step := live(func(*boot) error { ran = append(ran, "installed"); return nil }, func(*boot) error { ran = append(ran, "live"); return nil })
	skip := live(func(*boot) error { ran = append(ran, "installed only"); return nil }, nil)
	for _, args := range []map[string]string{{"root": "PARTLABEL=ros-root-a"}, {contract.LiveArg: ""}} {
		b := &boot{args: args}
		if err := step(b); err != nil {
			t.Fatal(err)
		}
		if err := skip(b); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"installed", "installed only", "live"}; !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
}
