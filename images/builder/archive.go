package builder

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/cavaliergopher/cpio"
	"github.com/klauspost/compress/zstd"

	"github.com/ros-os/ros/images/chunked"
)

// WriteInitramfs writes dir as a zstd-compressed newc cpio archive, the
// format the kernel unpacks as its initramfs. Entries are sorted and carry
// no owner or time, so the same tree always gives the same bytes.
func WriteInitramfs(dir, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("writing initramfs: %w", err)
	}
	defer f.Close()
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
		zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<23))
	if err != nil {
		return fmt.Errorf("writing initramfs: %w", err)
	}
	cw := cpio.NewWriter(zw)
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		return addCpio(cw, dir, p)
	}); err != nil {
		return fmt.Errorf("writing initramfs: %w", err)
	}
	if err := cw.Close(); err != nil {
		return fmt.Errorf("writing initramfs: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("writing initramfs: %w", err)
	}
	return f.Close()
}

func addCpio(w *cpio.Writer, dir, p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(dir, p)
	hdr := &cpio.Header{Name: filepath.ToSlash(rel), Mode: cpio.FileMode(fi.Mode().Perm()), ModTime: time.Time{}}
	switch {
	case fi.IsDir():
		hdr.Mode |= cpio.TypeDir
		return w.WriteHeader(hdr)
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		hdr.Mode |= cpio.TypeSymlink
		hdr.Size = int64(len(target))
		if err := w.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = io.WriteString(w, target)
		return err
	case fi.Mode().IsRegular():
		hdr.Mode |= cpio.TypeReg
		hdr.Size = fi.Size()
		return copyInto(w, hdr, p)
	}
	return fmt.Errorf("%s: unsupported file type %s", rel, fi.Mode().Type())
}

func copyInto(w *cpio.Writer, hdr *cpio.Header, p string) error {
	if err := w.WriteHeader(hdr); err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// WriteSquashfs packs dir into a squashfs image with mksquashfs, with every
// file owned by root and every time set to 0 so builds are reproducible.
func WriteSquashfs(run func(string, ...string) ([]byte, error), dir, out string, opts []string) error {
	_ = os.Remove(out)
	args := append([]string{dir, out, "-noappend", "-no-progress", "-quiet", "-all-root",
		"-no-xattrs", "-all-time", "0", "-mkfs-time", "0", "-reproducible"}, opts...)
	if _, err := run("mksquashfs", args...); err != nil {
		return fmt.Errorf("writing the root filesystem: %w", err)
	}
	return nil
}

// WriteChunked writes the squashfs in as the chunks of images/chunked to
// out and returns their index: each chunk filtered, then compressed by
// zstd(1) with opts (decoded by the Go decoder all the same), as many at
// once as there are CPUs. The output depends only on in, filter and opts.
func WriteChunked(in, out, filter string, opts []string) (chunked.Index, error) {
	r, err := os.Open(in)
	if err != nil {
		return chunked.Index{}, fmt.Errorf("chunking the root filesystem: %w", err)
	}
	defer r.Close()
	w, err := os.Create(out)
	if err != nil {
		return chunked.Index{}, fmt.Errorf("chunking the root filesystem: %w", err)
	}
	defer w.Close()
	ix, err := chunked.WriteParallel(w, r, filter, zstdCLI(opts), runtime.NumCPU())
	if err != nil {
		return chunked.Index{}, fmt.Errorf("chunking the root filesystem: %w", err)
	}
	return ix, w.Close()
}

// zstdCLI compresses a chunk with zstd(1): a frame without checksum (each
// chunk's sha256 is in the index) with its size in the header.
func zstdCLI(opts []string) chunked.Compressor {
	return func(dst, src []byte) ([]byte, error) {
		cmd := exec.Command("zstd", append([]string{"-q", "-c", "--no-check", "-T1"}, opts...)...)
		cmd.Stdin = bytes.NewReader(src)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("zstd: %w: %s", err, lastLine(stderr.String()))
		}
		return append(dst, out...), nil
	}
}

// WriteXz compresses in to out with xz(1); xz's output depends only on its
// input and options (the block size is fixed, so not on the thread count).
func WriteXz(in, out string, opts []string) error {
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("compressing the root filesystem: %w", err)
	}
	defer f.Close()
	cmd := exec.Command("xz", append(append([]string{"--stdout", "--quiet"}, opts...), in)...)
	cmd.Stdout = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("compressing the root filesystem: xz: %w: %s", err, lastLine(stderr.String()))
	}
	return f.Close()
}
