package early

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func makeTree(t *testing.T, root string) {
	t.Helper()
	for _, d := range []string{"usr/lib/modules/6.1/kernel", "etc/ros", "sysroot", "dev"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"init", "usr/lib/modules/6.1/kernel/ext4.ko", "etc/ros/initramfs-modules"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("usr/lib", filepath.Join(root, "lib")); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveContents(t *testing.T) {
	t.Run("same device: all gone, the top stays", func(t *testing.T) {
		root := t.TempDir()
		makeTree(t, root)
		var st unix.Stat_t
		if err := unix.Lstat(root, &st); err != nil {
			t.Fatal(err)
		}
		if n := removeContents(root, st.Dev); n != 0 {
			t.Errorf("%d failures", n)
		}
		entries, err := os.ReadDir(root)
		if err != nil || len(entries) != 0 {
			t.Errorf("left %v (%v)", entries, err)
		}
	})
	t.Run("other device: nothing touched", func(t *testing.T) {
		root := t.TempDir()
		makeTree(t, root)
		var st unix.Stat_t
		if err := unix.Lstat(root, &st); err != nil {
			t.Fatal(err)
		}
		removeContents(root, st.Dev+1)
		if _, err := os.Stat(filepath.Join(root, "usr/lib/modules/6.1/kernel/ext4.ko")); err != nil {
			t.Error(err)
		}
	})
}
