package builder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ros-os/ros/internal/testutil/need"
)

func TestCanon(t *testing.T) {
	tests := map[string]string{
		"bin/busybox":                        "usr/bin/busybox",
		"/sbin/init":                         "usr/sbin/init",
		"lib/x86_64-linux-gnu/libc.so.6":     "usr/lib/x86_64-linux-gnu/libc.so.6",
		"lib64/ld-linux-x86-64.so.2":         "usr/lib64/ld-linux-x86-64.so.2",
		"usr/bin/docker":                     "usr/bin/docker",
		"etc/passwd":                         "etc/passwd",
		"library/x":                          "library/x",
		"usr/lib/x86_64-linux-gnu/../os-rel": "usr/lib/os-rel",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := Canon(in); got != want {
				t.Fatalf("Canon(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

// Taking a real dynamically linked binary from this machine's root brings
// its interpreter and libraries along, under /usr, with their symlinks.
func TestPoolTakeFollowsELFAndLinks(t *testing.T) {
	if _, err := os.Stat("/usr/bin/true"); err != nil {
		need.Missing(t, "this test takes /usr/bin/true from this machine: %v", err)
	}
	tree, err := NewTree(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pool := &Pool{Roots: []string{"/"}}
	if err := pool.Take(tree, "usr/bin/true"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"usr/bin/true", "usr/lib/x86_64-linux-gnu/libc.so.6", "usr/lib64/ld-linux-x86-64.so.2"} {
		if _, err := os.Lstat(filepath.Join(tree.Dir, want)); err != nil {
			t.Errorf("%s missing from the tree: %v", want, err)
		}
	}
	// The interpreter link resolves inside the tree through the /lib64 link.
	if _, err := os.Stat(filepath.Join(tree.Dir, "lib64/ld-linux-x86-64.so.2")); err != nil {
		t.Errorf("interpreter does not resolve in the tree: %v", err)
	}
}

func TestPoolTakeMissing(t *testing.T) {
	tree, err := NewTree(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pool := &Pool{Roots: []string{t.TempDir()}}
	if err := pool.Take(tree, "usr/bin/nope"); err == nil {
		t.Fatal("Take of a missing file succeeded")
	}
}

// A file named by its Debian 12 path is found where a /usr-merged package
// has it.
func TestPkgFile(t *testing.T) {
	merged, split := t.TempDir(), t.TempDir()
	for _, f := range []string{filepath.Join(merged, "usr/bin/busybox"), filepath.Join(split, "bin/busybox")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := pkgFile(merged, "bin/busybox"), filepath.Join(merged, "usr/bin/busybox"); got != want {
		t.Errorf("pkgFile(merged) = %s, want %s", got, want)
	}
	if got, want := pkgFile(split, "bin/busybox"), filepath.Join(split, "bin/busybox"); got != want {
		t.Errorf("pkgFile(split) = %s, want %s", got, want)
	}
	if got, want := pkgFile(merged, "bin/none"), filepath.Join(merged, "bin/none"); got != want {
		t.Errorf("pkgFile(missing) = %s, want %s", got, want)
	}
}
