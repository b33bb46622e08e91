package upgrader

import (
	"errors"
	"testing"
)

func TestNewer(t *testing.T) {
	tests := []struct {
		v, running string
		force      bool
		want       error
	}{
		{"0.2.0", "0.1.0", false, nil},
		{"0.1.0", "0.1.0", false, ErrNotNewer},
		{"0.0.9", "0.1.0", false, ErrNotNewer},
		{"0.0.9", "0.1.0", true, nil},
		{"1.0.0", "0.9.9", false, nil},
	}
	for _, tt := range tests {
		if err := newer(tt.v, tt.running, tt.force); !errors.Is(err, tt.want) {
			t.Errorf("newer(%s, %s, %v) = %v, want %v", tt.v, tt.running, tt.force, err, tt.want)
		}
	}
}

func TestCmdlineFor(t *testing.T) {
	tests := []struct{ image, running, want string }{
		{"console=ttyS0 quiet", "initrd=\\ros\\a\\initrd console=ttyS0 quiet ros.autologin root=PARTLABEL=ros-root-a ros.slot=a",
			"console=ttyS0 quiet ros.autologin"},
		{"console=ttyS0 panic=5", "console=ttyS0 panic=10 root=PARTLABEL=ros-root-b ros.slot=b", "console=ttyS0 panic=5 panic=10"},
		// The running slot's root hash is not the new slot's.
		{"console=ttyS0 ros.verity=bb,2", "console=ttyS0 ros.verity=aa,1 ros.slot=a", "console=ttyS0 ros.verity=bb,2"},
	}
	for _, tt := range tests {
		if got := cmdlineFor(tt.image, tt.running); got != tt.want {
			t.Errorf("cmdlineFor(%q, %q) = %q, want %q", tt.image, tt.running, got, tt.want)
		}
	}
}
