package fstools

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ros-os/ros/internal/testutil/need"
)

// A file comes out of a squashfs that sits at an offset of an image, as a
// slot sits on a disk; a missing one is an error naming it.
func TestSquashfsFile(t *testing.T) {
	mksquashfs := need.Tool(t, "mksquashfs")
	dir := t.TempDir()
	root := filepath.Join(dir, "root", "usr", "lib")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "f"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	sq := filepath.Join(dir, "sq")
	if b, err := exec.Command(mksquashfs, filepath.Join(dir, "root"), sq, "-quiet", "-noappend").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, b)
	}
	data, err := os.ReadFile(sq)
	if err != nil {
		t.Fatal(err)
	}
	const offset = 1 << 20
	image := filepath.Join(dir, "disk")
	if err := os.WriteFile(image, append(make([]byte, offset), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "out")
	if err := SquashfsFile(image, offset, int64(len(data)), "/usr/lib/f", dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "inside" {
		t.Errorf("extracted %q", got)
	}
	if err := SquashfsFile(image, offset, int64(len(data)), "/usr/lib/missing", dst); err == nil {
		t.Error("a missing file extracted")
	}
}
