package rosinit

import (
	"slices"
	"testing"

	"github.com/ros-os/ros/internal/contract"
)

func TestInstallArgs(t *testing.T) {
	tests := []struct {
		name string
		args map[string]string
		want []string
	}{
		{"an installed system", map[string]string{installDeviceArg: "/dev/vda"}, nil},
		{"live, no install asked", map[string]string{contract.LiveArg: ""}, nil},
		{"live, a device", map[string]string{contract.LiveArg: "", installDeviceArg: "/dev/vda"}, []string{"install", "--device", "/dev/vda"}},
		{"with the medium's cloud-config and force", map[string]string{contract.LiveArg: "", installDeviceArg: "/dev/sda", installForceArg: "",
			cmdlineConfig: "/run/ros/medium/ros/cloud-config.yml"},
			[]string{"install", "--device", "/dev/sda", "--cloud-config", "/run/ros/medium/ros/cloud-config.yml", "--force"}},
		{"a cloud-config URL", map[string]string{contract.LiveArg: "", installDeviceArg: "/dev/vda", cmdlineConfig: "http://x/cc"},
			[]string{"install", "--device", "/dev/vda", "--cloud-config", "http://x/cc"}},
	}
	for _, tt := range tests {
		if got := installArgs(tt.args); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNeedsGrowth(t *testing.T) {
	const gib = 1 << 30
	for _, tt := range []struct {
		part, fs int64
		want     bool
	}{
		{4 * gib, 4*gib - 80<<20, false}, // the image's own STATE: ext4 metadata only
		{10 * gib, 2 * gib, true},        // grown onto a 10 GiB disk
		{2*gib + 100<<20, 2 * gib, false},
	} {
		if got := needsGrowth(tt.part, tt.fs); got != tt.want {
			t.Errorf("needsGrowth(%d, %d) = %v, want %v", tt.part, tt.fs, got, tt.want)
		}
	}
}
