package fstools

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/squashfs"
)

// SquashfsFile copies the file at path (as the running system names it,
// /usr/...) out of the squashfs of size bytes at offset bytes into image
// (a disk, a slot image) to the local file dst.
func SquashfsFile(image string, offset, size int64, path, dst string) error {
	f, err := os.Open(image)
	if err != nil {
		return err
	}
	defer f.Close()
	fs, err := squashfs.Read(file.New(f, true), size, offset, 0)
	if err != nil {
		return fmt.Errorf("reading the squashfs in %s: %w", image, err)
	}
	src, err := fs.OpenFile(strings.TrimPrefix(path, "/"), os.O_RDONLY) // go-diskfs wants it relative
	if err != nil {
		return fmt.Errorf("reading %s from the squashfs in %s: %w", path, image, err)
	}
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return out.Close()
}
