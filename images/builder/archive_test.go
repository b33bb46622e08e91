package builder

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cavaliergopher/cpio"
	"github.com/klauspost/compress/zstd"

	"github.com/ros-os/ros/internal/testutil/need"
)

func sampleTree(t *testing.T) string {
	t.Helper()
	tree, err := NewTree(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.WriteFile("etc/hello", []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tree.Symlink("usr/bin/sh", "busybox"); err != nil {
		t.Fatal(err)
	}
	return tree.Dir
}

// The initramfs is a zstd newc archive the kernel can unpack; the same tree
// always gives the same bytes.
func TestWriteInitramfs(t *testing.T) {
	dir := sampleTree(t)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, out := range []string{a, b} {
		if err := WriteInitramfs(dir, out); err != nil {
			t.Fatal(err)
		}
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Fatal("two initramfs builds of one tree differ")
	}
	entries := readCpio(t, da)
	if entries["etc/hello"] != "hello\n" {
		t.Errorf("etc/hello = %q", entries["etc/hello"])
	}
	if entries["usr/bin/sh"] != "-> busybox" {
		t.Errorf("usr/bin/sh = %q, want a link to busybox", entries["usr/bin/sh"])
	}
	if entries["bin"] != "-> usr/bin" {
		t.Errorf("bin = %q, want a link to usr/bin", entries["bin"])
	}
}

func readCpio(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	r := cpio.NewReader(zr)
	out := map[string]string{}
	for {
		h, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r)
		if h.Mode&^cpio.ModePerm == cpio.TypeSymlink {
			out[h.Name] = "-> " + h.Linkname
			continue
		}
		out[h.Name] = string(body)
	}
}

func TestWriteSquashfsReproducible(t *testing.T) {
	need.OnPath(t, "mksquashfs")
	dir := sampleTree(t)
	a, b := filepath.Join(t.TempDir(), "a.sqfs"), filepath.Join(t.TempDir(), "b.sqfs")
	for _, out := range []string{a, b} {
		if err := WriteSquashfs(runTool, dir, out, []string{"-comp", "lz4"}); err != nil {
			t.Fatal(err)
		}
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Fatal("two squashfs builds of one tree differ")
	}
}
