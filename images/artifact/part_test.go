package artifact

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestVerifyReader(t *testing.T) {
	data := []byte("the quick brown fox jumps over the lazy dog")
	desc := descOf(t, data)
	flipped := bytes.Clone(data)
	flipped[3] ^= 1
	innerErr := errors.New("ggcr: error verifying sha256 checksum")
	tests := []struct {
		name    string
		r       io.Reader
		wantErr error
	}{
		{"exact", bytes.NewReader(data), nil},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data)), nil},
		{"data and EOF together", iotest.DataErrReader(bytes.NewReader(data)), nil},
		{"flipped", bytes.NewReader(flipped), ErrDigestMismatch},
		{"short", bytes.NewReader(data[:10]), ErrDigestMismatch},
		{"empty", bytes.NewReader(nil), ErrDigestMismatch},
		{"long", bytes.NewReader(append(bytes.Clone(data), '!')), ErrDigestMismatch},
		{"long one byte at a time", iotest.OneByteReader(bytes.NewReader(append(bytes.Clone(data), '!'))), ErrDigestMismatch},
		// A verifying source fails the last read with its own error.
		{"inner verifier fails", io.MultiReader(bytes.NewReader(flipped), iotest.ErrReader(innerErr)), ErrDigestMismatch},
		{"inner error midway", io.MultiReader(bytes.NewReader(data[:5]), iotest.ErrReader(innerErr)), innerErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := io.ReadAll(verifying(io.NopCloser(tt.r), desc, "test"))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadAll = %v, want %v", err, tt.wantErr)
			}
			if int64(len(got)) > desc.Size {
				t.Errorf("passed on %d bytes, more than the %d expected", len(got), desc.Size)
			}
			if err == nil && !bytes.Equal(got, data) {
				t.Errorf("got %q", got)
			}
		})
	}
}

func descOf(t *testing.T, b []byte) v1.Descriptor {
	t.Helper()
	h, n, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{Digest: h, Size: n}
}
