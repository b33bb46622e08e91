package procsys

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// Mount is one line of /proc/self/mountinfo.
type Mount struct {
	Dev    uint64 // st_dev of the file system
	Point  string
	Source string // e.g. /dev/vda1
}

// Mounts reads /proc/self/mountinfo: what this process sees mounted.
func (f FS) Mounts() ([]Mount, error) {
	b, err := f.read("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	return parseMountinfo(bytes.NewReader(b))
}

// parseMountinfo parses the format of proc(5) /proc/PID/mountinfo:
// "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw".
func parseMountinfo(r io.Reader) ([]Mount, error) {
	var mounts []Mount
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		sep := -1
		for i, f := range fields {
			if f == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if sep < 0 || len(fields) < sep+3 {
			return nil, fmt.Errorf("parsing mountinfo line %q", sc.Text())
		}
		dev, err := parseDevNumber(fields[2])
		if err != nil {
			return nil, fmt.Errorf("parsing mountinfo line %q: %w", sc.Text(), err)
		}
		mounts = append(mounts, Mount{Dev: dev, Point: unescape(fields[4]), Source: unescape(fields[sep+2])})
	}
	return mounts, sc.Err()
}

// Swaps returns the file names /proc/swaps lists: the files and devices in
// use as swap. A kernel without swap has no /proc/swaps: none.
func (f FS) Swaps() ([]string, error) {
	b, err := f.read("/proc/swaps")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return parseSwaps(bytes.NewReader(b))
}

// parseSwaps returns the file names of /proc/swaps.
func parseSwaps(r io.Reader) ([]string, error) {
	var files []string
	sc := bufio.NewScanner(r)
	for first := true; sc.Scan(); first = false {
		fields := strings.Fields(sc.Text())
		if first || len(fields) == 0 {
			continue // the header
		}
		files = append(files, unescape(fields[0]))
	}
	return files, sc.Err()
}

// unescape undoes the octal escapes (\040 for a space) of /proc files.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
