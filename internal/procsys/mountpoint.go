package procsys

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// IsMountPoint reports whether dir is a mount point: its device differs
// from its parent's. (A bind mount of a directory onto itself is not
// seen; ros does not make those.)
func IsMountPoint(dir string) bool {
	var a, b unix.Stat_t
	if unix.Stat(dir, &a) != nil || unix.Stat(filepath.Join(dir, ".."), &b) != nil {
		return false
	}
	return a.Dev != b.Dev
}
