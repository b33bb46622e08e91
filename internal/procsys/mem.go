package procsys

import (
	"fmt"
	"strconv"
	"strings"
)

// MemUsedMB is MemTotal - MemAvailable from /proc/meminfo, 0 if unknown.
func (f FS) MemUsedMB() int {
	b, err := f.read("/proc/meminfo")
	if err != nil {
		return 0
	}
	var total, avail int
	for _, line := range strings.Split(string(b), "\n") {
		var v int
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &v); err == nil {
			total = v
		}
		if _, err := fmt.Sscanf(line, "MemAvailable: %d kB", &v); err == nil {
			avail = v
		}
	}
	return (total - avail) / 1024
}

// Uptime is the first field of /proc/uptime: seconds since boot, 0 if
// unknown.
func (f FS) Uptime() float64 {
	v, _ := f.ReadUptime()
	return v
}

// ReadUptime is Uptime, with the reason it is unknown.
func (f FS) ReadUptime() (float64, error) { return ParseUptime(f.read("/proc/uptime")) }

// ParseUptime reads the first field of /proc/uptime's contents.
func ParseUptime(b []byte, err error) (float64, error) {
	if err != nil {
		return 0, fmt.Errorf("reading /proc/uptime: %w", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0, fmt.Errorf("reading /proc/uptime: empty")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return 0, fmt.Errorf("reading /proc/uptime: %w", err)
	}
	return v, nil
}

// HasFilesystem reports whether /proc/filesystems lists fstype.
func (f FS) HasFilesystem(fstype string) bool {
	b, err := f.read("/proc/filesystems")
	return err == nil && hasFilesystem(string(b), fstype)
}

func hasFilesystem(list, fstype string) bool {
	for _, line := range strings.Split(list, "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 && fields[len(fields)-1] == fstype {
			return true
		}
	}
	return false
}

// PeakRSSKiB is this process's peak resident memory (VmHWM of
// /proc/self/status) in KiB, 0 if unknown.
func (f FS) PeakRSSKiB() int64 {
	b, _ := f.read("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			return kb
		}
	}
	return 0
}
