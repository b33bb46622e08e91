// Package procsys is the one reader of /proc and /sys: the kernel command
// line, block devices, network interfaces, mounts, swaps, memory and
// uptime. Everything else asks it, so each caller can be tested against a
// fake tree: an FS whose Root is a temporary directory.
package procsys

import (
	"os"
	"path/filepath"
)

// FS reads /proc and /sys under Root ("" is the running machine's).
type FS struct{ Root string }

// Host is the running machine.
var Host = FS{}

// Path is the name of a /proc or /sys file under f's root.
func (f FS) Path(p string) string {
	if f.Root == "" {
		return p
	}
	return filepath.Join(f.Root, p)
}

func (f FS) read(p string) ([]byte, error) { return os.ReadFile(f.Path(p)) }
