package artifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
)

const testCmdline = "console=ttyS0 ro quiet"

// testParts writes a few KB of random parts to dir. The kernel is gzip and
// the initramfs zstd, so anything that decompresses layers would notice.
func testParts(t *testing.T, dir string) Parts {
	t.Helper()
	p := Parts{
		Kernel:    filepath.Join(dir, "vmlinuz"),
		Initramfs: filepath.Join(dir, "initramfs.cpio.zst"),
		Rootfs:    filepath.Join(dir, "rootfs.squashfs.xz"),
		Squashfs:  filepath.Join(dir, "rootfs.squashfs"),
	}
	writeFile(t, p.Kernel, gzipped(t, randomBytes(t, 3000)))
	writeFile(t, p.Initramfs, zstded(t, randomBytes(t, 5000)))
	writeFile(t, p.Squashfs, append([]byte("hsqs"), randomBytes(t, 8000)...))
	writeFile(t, p.Rootfs, xzed(t, p.Squashfs))
	return p
}

// xzed compresses a file with xz(1), as the image build does.
func xzed(t *testing.T, path string) []byte {
	t.Helper()
	out, err := exec.Command("xz", "--stdout", "--x86", "--lzma2", path).Output()
	if err != nil {
		t.Fatalf("xz %s: %v", path, err)
	}
	return out
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstded(t *testing.T, b []byte) []byte {
	t.Helper()
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(b, nil)
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildTest builds an image of fresh parts for this machine.
func buildTest(t *testing.T, version string) (v1.Image, Parts) {
	t.Helper()
	p := testParts(t, t.TempDir())
	img, err := New(p, version, "amd64", testCmdline)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return img, p
}

// layoutOf writes img to a new layout under tag and returns its directory.
func layoutOf(t *testing.T, img v1.Image, tag string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	if err := WriteLayout(dir, img, tag); err != nil {
		t.Fatalf("WriteLayout: %v", err)
	}
	return dir
}

// tarDir tars dir into file, naming entries prefix+relative path, with
// directory entries, as `tar -C dir -cf file .` would with prefix "./".
func tarDir(t *testing.T, dir, file, prefix string) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		return addToTar(tw, dir, path, prefix)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func addToTar(tw *tar.Writer, dir, path, prefix string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	h, err := tar.FileInfoHeader(fi, "")
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(dir, path)
	h.Name = prefix + filepath.ToSlash(rel)
	if err := tw.WriteHeader(h); err != nil || fi.IsDir() {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = tw.Write(b)
	return err
}

// wantPart reads the whole part and compares it with the file it came from.
func wantPart(t *testing.T, img v1.Image, mt types.MediaType, path string) {
	t.Helper()
	got, err := readPart(img, mt)
	if err != nil {
		t.Fatalf("reading %s: %v", mt, err)
	}
	if !bytes.Equal(got, readFile(t, path)) {
		t.Errorf("part %s differs from %s", mt, path)
	}
}

func readPart(img v1.Image, mt types.MediaType) ([]byte, error) {
	rc, size, err := OpenPart(img, mt)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err == nil && int64(len(b)) != size {
		err = errors.New("size differs")
	}
	return b, err
}

func wantDigest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
