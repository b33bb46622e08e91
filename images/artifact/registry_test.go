package artifact

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// newRegistry starts an in-process registry and returns its host:port.
func newRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func TestRegistryRoundTrip(t *testing.T) {
	host := newRegistry(t, nil)
	img, parts := buildTest(t, "1.0.0")
	dir := layoutOf(t, img, "1.0.0")
	archive := filepath.Join(t.TempDir(), "os.tar")
	tarDir(t, dir, archive, "")

	tests := []struct {
		name string
		src  func(t *testing.T) v1.Image
		opts []Option
	}{
		{"built", func(*testing.T) v1.Image { return img }, nil},
		{"from layout", openOrFail("oci-layout:" + dir), nil},
		{"from archive", openOrFail("oci-archive:" + archive), []Option{WithInsecure()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := host + "/ros/os:" + strings.ReplaceAll(tt.name, " ", "-")
			if err := Push(tt.src(t), ref, tt.opts...); err != nil {
				t.Fatalf("Push: %v", err)
			}
			got, err := Open(ref, tt.opts...)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if _, err := Inspect(got, WithArch("amd64")); err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if wantDigest(t, got) != wantDigest(t, img) {
				t.Errorf("digest changed through the registry")
			}
			raw, err := crane.Manifest(ref)
			if err != nil {
				t.Fatal(err)
			}
			checkRawManifest(t, raw, "1.0.0")
			wantPart(t, got, InitramfsMediaType, parts.Initramfs)
			wantPart(t, got, RootfsMediaType, parts.Rootfs)
		})
	}
}

func openOrFail(ref string) func(t *testing.T) v1.Image {
	return func(t *testing.T) v1.Image {
		img, err := Open(ref)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return img
	}
}

func TestOpenRemoteErrors(t *testing.T) {
	host := newRegistry(t, nil)
	for _, ref := range []string{host + "/ros/os:missing", "UPPER/case:tag", ""} {
		if _, err := Open(ref); err == nil {
			t.Errorf("Open(%q) succeeded", ref)
		}
	}
}

// TestRegistryTampered serves a rootfs blob with one byte flipped. ggcr
// notices first; OpenPart must still report ErrDigestMismatch.
func TestRegistryTampered(t *testing.T) {
	img, _ := buildTest(t, "1.0.0")
	rootfs := layerDigest(t, img, 2)
	host := newRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, rootfs.String()) {
				w = &flipWriter{ResponseWriter: w}
			}
			h.ServeHTTP(w, r)
		})
	})
	ref := host + "/ros/os:1.0.0"
	if err := Push(img, ref); err != nil {
		t.Fatal(err)
	}
	got, err := Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readPart(got, RootfsMediaType); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("reading a tampered rootfs = %v, want ErrDigestMismatch", err)
	}
}

// flipWriter flips the first byte of the body.
type flipWriter struct {
	http.ResponseWriter
	done bool
}

func (f *flipWriter) Write(b []byte) (int, error) {
	if !f.done && len(b) > 0 {
		b = bytes.Clone(b)
		b[0] ^= 0xff
		f.done = true
	}
	return f.ResponseWriter.Write(b)
}

func layerDigest(t *testing.T, img v1.Image, i int) v1.Hash {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return m.Layers[i].Digest
}
