package artifact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ros-os/ros/images/chunked"
)

// OpenRootfs streams the uncompressed root filesystem (the bytes a slot
// holds) and returns its size. The xz stream is checked against the
// manifest as it is read, and what xz makes of it against the config's
// uncompressed digest: either mismatch fails the read that reaches the end
// with ErrDigestMismatch. Decompression runs in xz(1), which, unlike the Go
// decoders, handles the x86 BCJ filter that makes the stream small; its
// memory is bounded by the stream's dictionary (32 MiB), not the image size.
func OpenRootfs(img v1.Image, cfg Config) (io.ReadCloser, int64, error) {
	u := cfg.Parts.Rootfs.Uncompressed
	if u == nil {
		return nil, 0, fmt.Errorf("opening rootfs: %w: config does not name the uncompressed rootfs", ErrNotROSImage)
	}
	if cfg.Parts.Rootfs.Chunks != nil {
		return openChunked(img, cfg)
	}
	part, _, err := OpenPart(img, RootfsMediaType)
	if err != nil {
		return nil, 0, err
	}
	// -T1: threaded decoding buffered whole 112 MiB blocks (316 MB peak in
	// the guest); one thread keeps memory at the dictionary's size.
	cmd := exec.Command("xz", "--decompress", "--stdout", "--single-stream", "-T1")
	cmd.Stdin = part
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		part.Close()
		return nil, 0, fmt.Errorf("decompressing rootfs: %w", err)
	}
	if err := cmd.Start(); err != nil {
		part.Close()
		return nil, 0, fmt.Errorf("decompressing rootfs (is xz-utils installed?): %w", err)
	}
	desc := v1.Descriptor{Digest: u.Digest, Size: u.Size}
	return &xzReader{r: verifying(out, desc, "uncompressed rootfs"), cmd: cmd, stderr: stderr, part: part}, u.Size, nil
}

// xzReader ends with xz's own verdict: a corrupt stream, or a digest
// mismatch of the compressed bytes fed to it, fails the last read even when
// the output happened to look complete.
type xzReader struct {
	r      io.ReadCloser
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	part   io.ReadCloser
	done   bool
	err    error
}

func (x *xzReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if err == nil {
		return n, nil
	}
	if !errors.Is(err, io.EOF) {
		_ = x.cmd.Process.Kill() // nobody reads xz's output any more
	}
	if werr := x.wait(); werr != nil && errors.Is(err, io.EOF) {
		return n, werr
	}
	return n, err
}

func (x *xzReader) wait() error {
	if x.done {
		return x.err
	}
	x.done = true
	err := x.cmd.Wait()
	switch {
	case err == nil:
	case errors.Is(err, ErrDigestMismatch):
		x.err = err
	default:
		x.err = fmt.Errorf("decompressing rootfs: %w: xz: %v %s", ErrDigestMismatch, err, strings.TrimSpace(x.stderr.String()))
	}
	return x.err
}

func (x *xzReader) Close() error {
	if !x.done {
		_ = x.cmd.Process.Kill()
		_ = x.wait()
	}
	return x.part.Close()
}

// openChunked streams a chunked rootfs, each chunk checked against the
// index as it is decoded, the blob against the manifest and the whole
// against the uncompressed digest.
func openChunked(img v1.Image, cfg Config) (io.ReadCloser, int64, error) {
	u, ix := cfg.Parts.Rootfs.Uncompressed, *cfg.Parts.Rootfs.Chunks
	dec, err := chunked.NewDecoder(ix, cfg.Parts.Rootfs.Size, u.Size, 1)
	if err != nil {
		return nil, 0, fmt.Errorf("opening rootfs: %w", err)
	}
	part, _, err := OpenPart(img, RootfsChunkedMediaType)
	if err != nil {
		dec.Close()
		return nil, 0, err
	}
	desc := v1.Descriptor{Digest: u.Digest, Size: u.Size}
	r := verifying(io.NopCloser(corruptIsMismatch{dec.NewReader(part)}), desc, "uncompressed rootfs")
	return &chunkedReader{Reader: r, close: func() error { dec.Close(); return part.Close() }}, u.Size, nil
}

// corruptIsMismatch reports a chunk that is not what the index says as
// ErrDigestMismatch, as for every other blob.
type corruptIsMismatch struct{ r io.Reader }

func (c corruptIsMismatch) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if errors.Is(err, chunked.ErrCorrupt) && !errors.Is(err, ErrDigestMismatch) {
		err = fmt.Errorf("%w: %w", ErrDigestMismatch, err)
	}
	return n, err
}

type chunkedReader struct {
	io.Reader
	close func() error
}

func (c *chunkedReader) Close() error { return c.close() }
