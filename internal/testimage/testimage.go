// Package testimage builds small but real ros OS images for tests: a
// squashfs root holding a fake systemd-boot, as an xz stream, with random
// kernel and initramfs bytes. It needs mksquashfs and xz.
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
	"github.com/ros-os/ros/internal/testutil/need"
)

// BootEFI is the content of the fake systemd-boot in the root filesystem.
const BootEFI = "MZ fake systemd-boot"

// New builds an image of version for arch with a root filesystem of about
// rootKB KiB, and returns it with the directory holding its parts.
func New(t testing.TB, version, arch string, rootKB int) v1.Image {
	t.Helper()
	need.OnPath(t, "mksquashfs", "xz")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	write(t, filepath.Join(root, builder.BootEFI), []byte(BootEFI))
	write(t, filepath.Join(root, "usr/bin/filler"), random(t, rootKB<<10))
	p := artifact.Parts{Kernel: filepath.Join(dir, "vmlinuz"), Initramfs: filepath.Join(dir, "initrd"),
		Squashfs: filepath.Join(dir, "rootfs.squashfs"), Rootfs: filepath.Join(dir, "rootfs.squashfs.xz")}
	write(t, p.Kernel, random(t, 4096))
	write(t, p.Initramfs, random(t, 2048))
	run := func(name string, args ...string) ([]byte, error) { return exec.Command(name, args...).CombinedOutput() }
	if err := builder.WriteSquashfs(run, root, p.Squashfs, []string{"-noI", "-noD", "-noF", "-noX"}); err != nil {
		t.Fatal(err)
	}
	if err := builder.WriteXz(p.Squashfs, p.Rootfs, []string{"--x86", "--lzma2"}); err != nil {
		t.Fatal(err)
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
