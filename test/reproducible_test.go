//go:build e2e && fault

package test

import (
	"os"
	"path/filepath"
	"testing"
)

// A second build from the same inputs (same packages, same ros binary), with
// no cached root filesystem, gives the same image digest as `make image`.
// In make fault, not make test: a second full build (three and a half
// minutes of xz on two cores) did not fit make test's 45 minutes beside the
// boot tests.
func TestBuildIsReproducible(t *testing.T) {
	v := version(t)
	cache := t.TempDir()
	for _, d := range []string{"debs", "root"} { // packages may be shared; the rootfs may not
		if err := os.Symlink(filepath.Join(repo, "build/cache", d), filepath.Join(cache, d)); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	oci := filepath.Join(dir, "oci")
	run(t, mkimage(t), "build", "--version", v, "--ros", "build/ros", "--init", "build/ros-initramfs", "--cache", cache,
		"--out", filepath.Join(dir, "os"), "--oci", oci, "--trust", testKey+".pub")
	if got, want := layoutDigest(t, oci, v), layoutDigest(t, filepath.Join(repo, "build/oci"), v); got != want {
		t.Fatalf("rebuild gave %s, make image gave %s", got, want)
	}
}
