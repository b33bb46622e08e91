package artifact

import (
	"errors"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestTamperedBlob(t *testing.T) {
	tests := []struct {
		name   string
		tamper func([]byte) []byte
	}{
		{"flipped first byte", func(b []byte) []byte { b[0] ^= 1; return b }},
		{"flipped last byte", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"empty", func(b []byte) []byte { return nil }},
		{"extended", func(b []byte) []byte { return append(b, 0) }},
	}
	for _, tt := range tests {
		for _, src := range []string{"oci-layout", "oci-archive"} {
			t.Run(tt.name+"/"+src, func(t *testing.T) {
				img, _ := buildTest(t, "1.0.0")
				dir := layoutOf(t, img, "1.0.0")
				tamperBlob(t, dir, layerDigest(t, img, 2), tt.tamper)
				got := openSource(t, src, dir)
				if _, err := Inspect(got, WithArch("amd64")); err != nil {
					t.Fatalf("Inspect reads no layer, yet: %v", err)
				}
				if _, err := readPart(got, RootfsMediaType); !errors.Is(err, ErrDigestMismatch) {
					t.Errorf("reading rootfs = %v, want ErrDigestMismatch", err)
				}
				if _, err := readPart(got, KernelMediaType); err != nil {
					t.Errorf("reading untouched kernel: %v", err)
				}
			})
		}
	}
}

func TestTamperedConfig(t *testing.T) {
	img, _ := buildTest(t, "1.0.0")
	dir := layoutOf(t, img, "1.0.0")
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	tamperBlob(t, dir, m.Config.Digest, func(b []byte) []byte { b[1] ^= 1; return b })
	for _, src := range []string{"oci-layout", "oci-archive"} {
		t.Run(src, func(t *testing.T) {
			got := openSource(t, src, dir)
			if _, err := Inspect(got, WithArch("amd64")); !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("Inspect = %v, want ErrDigestMismatch", err)
			}
		})
	}
}

func TestTamperedManifest(t *testing.T) {
	img, _ := buildTest(t, "1.0.0")
	dir := layoutOf(t, img, "1.0.0")
	tamperBlob(t, dir, wantDigest(t, img), func(b []byte) []byte { return append(b, ' ') })
	for _, ref := range []string{"oci-layout:" + dir, "oci-archive:" + tarOf(t, dir)} {
		if _, err := Open(ref); !errors.Is(err, ErrDigestMismatch) {
			t.Errorf("Open(%s) = %v, want ErrDigestMismatch", ref, err)
		}
	}
}

// openSource opens the layout at dir directly or as a tar.
func openSource(t *testing.T, src, dir string) v1.Image {
	t.Helper()
	ref := "oci-layout:" + dir
	if src == "oci-archive" {
		ref = "oci-archive:" + tarOf(t, dir)
	}
	img, err := Open(ref)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return img
}

func tarOf(t *testing.T, dir string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "os.tar")
	tarDir(t, dir, file, "./")
	return file
}

func tamperBlob(t *testing.T, dir string, h v1.Hash, tamper func([]byte) []byte) {
	t.Helper()
	p := filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
	writeFile(t, p, tamper(readFile(t, p)))
}

func TestOpenPartErrors(t *testing.T) {
	img, _ := buildTest(t, "1.0.0")
	tests := []struct {
		name    string
		mt      types.MediaType
		wantErr error
	}{
		{"unknown media type", "application/octet-stream", errAny},
		{"config is no part", ConfigMediaType, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := OpenPart(img, tt.mt); !matches(err, tt.wantErr) {
				t.Errorf("OpenPart = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestChangedInput: a part file that changes after New must not be written
// into a layout under its old digest.
func TestChangedInput(t *testing.T) {
	img, parts := buildTest(t, "1.0.0")
	writeFile(t, parts.Rootfs, append(readFile(t, parts.Rootfs), 'x'))
	if err := WriteLayout(t.TempDir(), img, "1.0.0"); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("WriteLayout = %v, want ErrDigestMismatch", err)
	}
}

// TestInspectInconsistent builds images whose config or manifest lie.
func TestInspectInconsistent(t *testing.T) {
	p := testParts(t, t.TempDir())
	tests := []struct {
		name    string
		edit    func(*Config, []*fileLayer) []*fileLayer
		wantErr error
	}{
		{"consistent", func(*Config, []*fileLayer) []*fileLayer { return nil }, nil},
		{"rootfs size", func(c *Config, _ []*fileLayer) []*fileLayer { c.Parts.Rootfs.Size++; return nil }, ErrDigestMismatch},
		{"kernel digest", func(c *Config, _ []*fileLayer) []*fileLayer {
			c.Parts.Kernel.Digest = c.Parts.Rootfs.Digest
			return nil
		}, ErrDigestMismatch},
		{"bad version", func(c *Config, _ []*fileLayer) []*fileLayer { c.Version = "latest"; return nil }, ErrBadVersion},
		{"not linux", func(c *Config, _ []*fileLayer) []*fileLayer { c.OS = "windows"; return nil }, ErrNotROSImage},
		{"layers swapped", func(_ *Config, l []*fileLayer) []*fileLayer { return []*fileLayer{l[1], l[0], l[2]} }, ErrNotROSImage},
		{"two layers", func(_ *Config, l []*fileLayer) []*fileLayer { return l[:2] }, ErrNotROSImage},
		{"no uncompressed rootfs", func(c *Config, _ []*fileLayer) []*fileLayer { c.Parts.Rootfs.Uncompressed = nil; return nil }, ErrNotROSImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			layers, err := hashParts(p)
			if err != nil {
				t.Fatal(err)
			}
			cfg := newConfig(layers, "1.0.0", "amd64", "")
			cfg.Parts.Rootfs.Uncompressed, err = hashSquashfs(p.Squashfs)
			if err != nil {
				t.Fatal(err)
			}
			if edited := tt.edit(&cfg, layers); edited != nil {
				layers = edited
			}
			core, err := newImage(cfg, layers)
			if err != nil {
				t.Fatal(err)
			}
			img, err := partial.CompressedToImage(core)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Inspect(img, WithArch("amd64")); !errors.Is(err, tt.wantErr) {
				t.Errorf("Inspect = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
