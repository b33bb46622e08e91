// Package netif lists the machine's network interfaces.
package netif

import (
	"path/filepath"
	"sort"
)

// SysClassNet is where the kernel lists network interfaces.
const SysClassNet = "/sys/class/net"

// Ethernet lists the interfaces under sysClassNet backed by a device (not
// lo, bridges or veths), in name order.
func Ethernet(sysClassNet string) []string {
	devs, _ := filepath.Glob(filepath.Join(sysClassNet, "*", "device"))
	names := make([]string, 0, len(devs))
	for _, d := range devs {
		names = append(names, filepath.Base(filepath.Dir(d)))
	}
	sort.Strings(names)
	return names
}
