package procsys

import (
	"path/filepath"
	"sort"
)

// Ethernet lists the network interfaces backed by a device (not lo,
// bridges or veths), in name order.
func (f FS) Ethernet() []string {
	devs, _ := filepath.Glob(filepath.Join(f.Path("/sys/class/net"), "*", "device"))
	names := make([]string, 0, len(devs))
	for _, d := range devs {
		names = append(names, filepath.Base(filepath.Dir(d)))
	}
	sort.Strings(names)
	return names
}
