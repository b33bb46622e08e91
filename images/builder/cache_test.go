package builder

import (
	"os"
	"path/filepath"
	"testing"
)

// A fresh clone has no build/cache: the first cache entry written must
// create its directory, whichever file comes first.
func TestCacheWritesIntoMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "rootfs")
	if err := writeCached(filepath.Join(dir, "k.index"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(src, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other", "rootfs", "k.squashfs")
	if err := cacheCopy(src, other); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "k.index"), other} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
			t.Errorf("%s.tmp left behind", p)
		}
	}
}
