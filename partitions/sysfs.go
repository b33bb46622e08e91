package partitions

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// SysClassBlock is where the kernel lists block devices.
const SysClassBlock = "/sys/class/block"

// ParseUevent parses a sysfs uevent file: KEY=VALUE lines.
func ParseUevent(s string) map[string]string {
	ue := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			ue[k] = v
		}
	}
	return ue
}

// ScanBlock reads the uevent file of every block device under sys, in name
// order. The kernel puts a GPT partition's name in PARTNAME.
func ScanBlock(sys string) []map[string]string {
	names, _ := filepath.Glob(filepath.Join(sys, "*", "uevent"))
	sort.Strings(names)
	var out []map[string]string
	for _, n := range names {
		if data, err := os.ReadFile(n); err == nil {
			out = append(out, ParseUevent(string(data)))
		}
	}
	return out
}

// DeviceByLabel returns the /dev node of the partition named label on this
// machine, e.g. /dev/vda3 for ros-root-b.
func DeviceByLabel(label string) (string, error) {
	for _, ue := range ScanBlock(SysClassBlock) {
		if ue["PARTNAME"] == label && ue["DEVNAME"] != "" {
			return "/dev/" + ue["DEVNAME"], nil
		}
	}
	return "", fmt.Errorf("%w: no partition named %s on this machine", ErrNotFound, label)
}
