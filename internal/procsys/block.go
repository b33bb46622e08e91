package procsys

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
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

// BlockDev is a block device as sysfs shows it.
type BlockDev struct {
	Name string // vda, vda1; sysfs writes "cciss!c0d0" for cciss/c0d0
	Dir  string // its sysfs directory, "" if unknown
}

// Path is the device node.
func (b BlockDev) Path() string { return "/dev/" + strings.ReplaceAll(b.Name, "!", "/") }

// Holders lists the block devices that hold b (LVM, RAID, dm-crypt), nil
// without sysfs.
func (b BlockDev) Holders() []string {
	if b.Dir == "" {
		return nil
	}
	entries, _ := os.ReadDir(filepath.Join(b.Dir, "holders"))
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// DevDir is the sysfs directory of the block device numbered dev.
func (f FS) DevDir(dev uint64) string {
	return filepath.Join(f.Path("/sys/dev/block"), fmt.Sprintf("%d:%d", unix.Major(dev), unix.Minor(dev)))
}

// PartitionOf reports whether the block device numbered dev is a partition
// and, if so, its whole disk (Name "" if sysfs does not say). Without
// sysfs no device is a partition.
func (f FS) PartitionOf(dev uint64) (disk BlockDev, ok bool) {
	dir := f.DevDir(dev)
	if _, err := os.Stat(filepath.Join(dir, "partition")); err != nil {
		return BlockDev{}, false
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return BlockDev{}, true
	}
	return BlockDev{Name: filepath.Base(filepath.Dir(real))}, true
}

// Family returns the whole disk numbered dev and its partitions, by
// device number; nil without sysfs.
func (f FS) Family(dev uint64) map[uint64]BlockDev {
	dir := f.DevDir(dev)
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil
	}
	fam := map[uint64]BlockDev{dev: {Name: filepath.Base(real), Dir: dir}}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(sub, "partition")); err != nil {
			continue
		}
		if d, err := readDevNumber(filepath.Join(sub, "dev")); err == nil {
			fam[d] = BlockDev{Name: e.Name(), Dir: sub}
		}
	}
	return fam
}

// readDevNumber reads a sysfs dev file ("259:0").
func readDevNumber(file string) (uint64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	return parseDevNumber(strings.TrimSpace(string(b)))
}

func parseDevNumber(s string) (uint64, error) {
	major, minor, ok := strings.Cut(s, ":")
	a, err1 := strconv.ParseUint(major, 10, 32)
	b, err2 := strconv.ParseUint(minor, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%q is not a device number like 8:0", s)
	}
	return unix.Mkdev(uint32(a), uint32(b)), nil
}
