// Package fstools runs the real filesystem tools (mkfs.fat, mtools,
// mkfs.ext4, xorriso) the same way for a block device and an image file,
// each failure one line, and reads files out of a squashfs at an offset.
package fstools

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Run runs a tool; a failure carries the last line it printed.
func Run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLSRC=/dev/null", "MTOOLS_SKIP_CHECK=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, lastLine(out.String()))
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// FAT is a FAT filesystem at an offset of a disk or image file, written
// with mtools.
type FAT struct {
	image string // path@@offset, mtools' syntax for a filesystem at an offset
}

// FATAt is the FAT filesystem at offset bytes into path.
func FATAt(path string, offset int64) FAT {
	return FAT{image: path + "@@" + strconv.FormatInt(offset, 10)}
}

// FormatFAT makes a FAT filesystem labelled label of size bytes at offset
// bytes into path (which must be that big): FAT32 if fat32, else the FAT
// type mkfs.fat picks for the size.
func FormatFAT(path string, offset, size, sectorSize int64, label string, fat32 bool) error {
	args := []string{"-n", label, "-I", "-S", strconv.FormatInt(sectorSize, 10),
		"--offset", strconv.FormatInt(offset/sectorSize, 10)}
	if fat32 {
		args = append([]string{"-F", "32"}, args...)
	}
	return Run("mkfs.fat", append(args, path, strconv.FormatInt(size>>10, 10))...)
}

// Mkdir creates each directory (its parent must exist).
func (f FAT) Mkdir(dirs ...string) error {
	for _, d := range dirs {
		if err := Run("mmd", "-i", f.image, "-D", "s", "::/"+d); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	return nil
}

// Put copies the local file src to dst, replacing it.
func (f FAT) Put(src, dst string) error {
	if err := Run("mcopy", "-i", f.image, "-o", src, "::/"+dst); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}
