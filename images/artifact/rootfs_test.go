package artifact

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenRootfs(t *testing.T) {
	dir := t.TempDir()
	p := testParts(t, dir)
	want, err := os.ReadFile(p.Squashfs)
	if err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.xz")
	writeFile(t, garbage, randomBytes(t, 500))
	otherSquashfs := filepath.Join(dir, "other")
	writeFile(t, otherSquashfs, randomBytes(t, 8004))
	tests := []struct {
		name    string
		edit    func(Parts) Parts
		wantErr error
	}{
		{"good", func(p Parts) Parts { return p }, nil},
		{"stream is not xz", func(p Parts) Parts { p.Rootfs = garbage; return p }, ErrDigestMismatch},
		{"stream of another squashfs", func(p Parts) Parts { p.Squashfs = otherSquashfs; return p }, ErrDigestMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := New(tt.edit(p), "1.0.0", "amd64", testCmdline)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Inspect(img, WithArch("amd64"))
			if err != nil {
				t.Fatal(err)
			}
			rc, size, err := OpenRootfs(img, cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("reading rootfs: %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && (!bytes.Equal(got, want) || size != int64(len(want))) {
				t.Fatalf("rootfs: got %d bytes (size %d), want the %d bytes of the squashfs", len(got), size, len(want))
			}
		})
	}
}
