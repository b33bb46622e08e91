package procsys

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Uevent is a block device's sysfs uevent file: DEVNAME, PARTNAME (a GPT
// partition's name), DEVTYPE, ...
type Uevent map[string]string

// ParseUevent parses a sysfs uevent file: KEY=VALUE lines.
func ParseUevent(s string) Uevent {
	ue := Uevent{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			ue[k] = v
		}
	}
	return ue
}

// SysClassBlock is where the kernel lists block devices, under f's root.
func (f FS) SysClassBlock() string { return f.Path("/sys/class/block") }

// Block reads the uevent file of every block device, in name order.
func (f FS) Block() []Uevent {
	names, _ := filepath.Glob(filepath.Join(f.SysClassBlock(), "*", "uevent"))
	sort.Strings(names)
	var out []Uevent
	for _, n := range names {
		if data, err := os.ReadFile(n); err == nil {
			out = append(out, ParseUevent(string(data)))
		}
	}
	return out
}

// Sectors is the size in 512-byte sectors of the block device named name,
// or 0 when it cannot be read. sysfs writes a "/" in a name as "!".
func (f FS) Sectors(name string) uint64 {
	dir := strings.ReplaceAll(name, "/", "!")
	data, err := os.ReadFile(filepath.Join(f.SysClassBlock(), dir, "size"))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	return n
}
