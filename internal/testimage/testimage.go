// Package testimage builds small but real ros OS images for tests: a
// squashfs root holding a fake systemd-boot, chunked (or, as images of
// older ros versions, one xz stream), with random kernel and initramfs
// bytes. It needs mksquashfs (and xz for NewXz).
package testimage

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/builder"
	"github.com/ros-os/ros/images/chunked"
	"github.com/ros-os/ros/internal/testutil/need"
)

// BootEFI is the content of the fake systemd-boot in the root filesystem.
const BootEFI = "MZ fake systemd-boot"

// New builds an image of version for arch with a chunked root filesystem
// of about rootKB KiB.
func New(t testing.TB, version, arch string, rootKB int) v1.Image {
	t.Helper()
	return build(t, version, arch, map[string][]byte{"usr/bin/filler": random(t, rootKB<<10)}, false)
}

// NewFrom builds a chunked image whose root filesystem holds files (path
// → content) besides the fake systemd-boot: two images of mostly the same
// files share most chunks.
func NewFrom(t testing.TB, version, arch string, files map[string][]byte) v1.Image {
	t.Helper()
	return build(t, version, arch, files, false)
}

// NewXz builds the same with the root filesystem as one xz stream, the
// format of images before chunks.
func NewXz(t testing.TB, version, arch string, rootKB int) v1.Image {
	t.Helper()
	need.OnPath(t, "xz")
	return build(t, version, arch, map[string][]byte{"usr/bin/filler": random(t, rootKB<<10)}, true)
}

func build(t testing.TB, version, arch string, files map[string][]byte, xz bool) v1.Image {
	t.Helper()
	need.OnPath(t, "mksquashfs")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	write(t, filepath.Join(root, builder.BootEFI), []byte(BootEFI))
	for p, data := range files {
		write(t, filepath.Join(root, p), data)
	}
	p := artifact.Parts{Kernel: filepath.Join(dir, "vmlinuz"), Initramfs: filepath.Join(dir, "initrd"),
		Squashfs: filepath.Join(dir, "rootfs.squashfs"), Rootfs: filepath.Join(dir, "rootfs.squashfs.xz")}
	write(t, p.Kernel, random(t, 4096))
	write(t, p.Initramfs, random(t, 2048))
	run := func(name string, args ...string) ([]byte, error) { return exec.Command(name, args...).CombinedOutput() }
	if err := builder.WriteSquashfs(run, root, p.Squashfs, []string{"-noI", "-noD", "-noF", "-noX"}); err != nil {
		t.Fatal(err)
	}
	if xz {
		if err := builder.WriteXz(p.Squashfs, p.Rootfs, []string{"--x86", "--lzma2"}); err != nil {
			t.Fatal(err)
		}
	} else {
		p.Rootfs = filepath.Join(dir, "rootfs.chunked")
		ix, err := writeChunked(p.Squashfs, p.Rootfs)
		if err != nil {
			t.Fatal(err)
		}
		p.Chunks = &ix
	}
	img, err := artifact.New(p, version, arch, "console=ttyS0")
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Layout writes img into a new OCI layout, signed with the test key (see
// Trust), and returns its oci-layout: ref.
func Layout(t testing.TB, img v1.Image, tag string) (ref, dir string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "oci")
	if err := artifact.WriteLayout(dir, img, tag); err != nil {
		t.Fatal(err)
	}
	ref = "oci-layout:" + dir + ":" + tag
	Sign(t, ref)
	return ref, dir
}

func writeChunked(in, out string) (chunked.Index, error) {
	r, err := os.Open(in)
	if err != nil {
		return chunked.Index{}, err
	}
	defer r.Close()
	w, err := os.Create(out)
	if err != nil {
		return chunked.Index{}, err
	}
	defer w.Close()
	ix, err := chunked.Write(w, r, "x86", chunked.Zstd())
	if err != nil {
		return chunked.Index{}, err
	}
	return ix, w.Close()
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func random(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
