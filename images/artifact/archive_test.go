package artifact

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ros-os/ros/internal/testutil/need"
)

// TestArchiveGNUTar reads archives made by the real tar, when present.
func TestArchiveGNUTar(t *testing.T) {
	tar := need.Tool(t, "tar")
	img, parts := buildTest(t, "1.0.0")
	dir := layoutOf(t, img, "1.0.0")
	tests := []struct {
		name string
		args []string
	}{
		{"gnu", []string{"--format=gnu"}},
		{"pax", []string{"--format=pax"}},
		{"ustar", []string{"--format=ustar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "os.tar")
			args := append(tt.args, "-C", dir, "-cf", file, ".")
			if out, err := exec.Command(tar, args...).CombinedOutput(); err != nil {
				need.Missing(t, "this tar cannot write the archive: %v: %v: %s", args, err, out)
			}
			got := openOrFail("oci-archive:" + file)(t)
			if _, err := Inspect(got, WithArch("amd64")); err != nil {
				t.Fatal(err)
			}
			wantPart(t, got, RootfsMediaType, parts.Rootfs)
		})
	}
}

// TestArchiveHardlink stores the rootfs blob as a hard link to another entry.
func TestArchiveHardlink(t *testing.T) {
	img, parts := buildTest(t, "1.0.0")
	dir := layoutOf(t, img, "1.0.0")
	rootfs := layerDigest(t, img, 2)
	blob := "blobs/sha256/" + rootfs.Hex
	if err := os.Rename(filepath.Join(dir, blob), filepath.Join(dir, "rootfs")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "os.tar")
	tarDir(t, dir, file, "")
	appendLink(t, file, blob, "rootfs")

	got := openOrFail("oci-archive:" + file)(t)
	wantPart(t, got, RootfsMediaType, parts.Rootfs)
}

// appendLink rewrites the tar at file with one more hard link entry.
func appendLink(t *testing.T, file, name, target string) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Drop the two zero blocks that end the archive, then append.
	end, err := f.Seek(-1024, io.SeekEnd)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(end); err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}
