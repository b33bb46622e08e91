package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// OpenPart streams the raw bytes of the layer of media type mt and returns
// its size. The stream is checked against the manifest's digest and size as
// it is read: a mismatch, or too many or too few bytes, fails the read that
// reaches the end with ErrDigestMismatch. Callers must read to io.EOF before
// trusting the bytes.
func OpenPart(img v1.Image, mt types.MediaType) (io.ReadCloser, int64, error) {
	p, ok := partOf(mt)
	if !ok {
		return nil, 0, fmt.Errorf("opening part: unknown media type %q", mt)
	}
	desc, err := layerDescriptor(img, p)
	if err != nil {
		return nil, 0, err
	}
	l, err := img.LayerByDigest(desc.Digest)
	if err != nil {
		return nil, 0, fmt.Errorf("opening %s: %w", p.name, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, 0, fmt.Errorf("opening %s: %w", p.name, err)
	}
	return verifying(rc, desc, p.name), desc.Size, nil
}

func layerDescriptor(img v1.Image, p part) (v1.Descriptor, error) {
	m, err := img.Manifest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("reading manifest: %w", err)
	}
	for _, d := range m.Layers {
		if d.MediaType == p.mediaType {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("finding %s: %w: no %s layer", p.name, ErrNotROSImage, p.mediaType)
}

// verifyReader hashes and counts what it passes on, and fails at the end if
// the bytes are not the ones desc names. Unlike ggcr's internal verifier it
// reports ErrDigestMismatch, and it is applied to every source.
type verifyReader struct {
	rc   io.ReadCloser
	desc v1.Descriptor
	name string
	h    hash.Hash
	n    int64
	err  error
}

func verifying(rc io.ReadCloser, desc v1.Descriptor, name string) io.ReadCloser {
	return &verifyReader{rc: rc, desc: desc, name: name, h: sha256.New()}
}

func (v *verifyReader) Close() error { return v.rc.Close() }

// Read reads at most one byte past the expected size, to notice extra bytes.
func (v *verifyReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if left := v.desc.Size - v.n + 1; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	n, v.err = v.check(n, err)
	return n, v.err
}

// check decides what a read of n bytes that returned err means.
func (v *verifyReader) check(n int, err error) (int, error) {
	switch {
	case v.n > v.desc.Size:
		return n - 1, v.mismatch(fmt.Sprintf("more than %d bytes", v.desc.Size))
	case v.n == v.desc.Size && v.sum() != v.desc.Digest.Hex:
		// Checked before err: a source that verifies (ggcr remote) fails
		// here with its own error, which we report as ErrDigestMismatch.
		return n, v.mismatch("got sha256:" + v.sum())
	case errors.Is(err, ErrDigestMismatch):
		return n, err // an inner verifier already said which blob
	case errors.Is(err, io.EOF) && v.n < v.desc.Size:
		return n, v.mismatch(fmt.Sprintf("only %d of %d bytes", v.n, v.desc.Size))
	case err != nil && !errors.Is(err, io.EOF):
		return n, fmt.Errorf("reading %s: %w", v.name, err)
	}
	return n, err
}

func (v *verifyReader) sum() string { return hex.EncodeToString(v.h.Sum(nil)) }

func (v *verifyReader) mismatch(got string) error {
	return fmt.Errorf("verifying %s: %w: %s, want %s", v.name, ErrDigestMismatch, got, v.desc.Digest)
}

// verifyBytes checks b against desc.
func verifyBytes(b []byte, desc v1.Descriptor, name string) error {
	_, err := io.Copy(io.Discard, verifying(io.NopCloser(bytes.NewReader(b)), desc, name))
	return err
}

// SavePart writes the layer of media type mt to the file dst, checked
// against its digest (OpenPart).
func SavePart(img v1.Image, mt types.MediaType, dst string) error {
	rc, _, err := OpenPart(img, mt)
	if err != nil {
		return err
	}
	defer rc.Close()
	return SaveFile(dst, rc)
}

// SaveFile writes what r gives to the file dst, replacing it.
func SaveFile(dst string, r io.Reader) error {
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return out.Close()
}
