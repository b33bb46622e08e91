package chunked

import (
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// Decoder decodes chunks of one index; its memory is two chunks' worth.
type Decoder struct {
	ix  Index
	dec *zstd.Decoder
}

// NewDecoder checks ix against the blob's and the image's sizes (from the
// signed manifest and config) and returns a decoder for its chunks.
func NewDecoder(ix Index, blobSize, size int64) (*Decoder, error) {
	if err := ix.Check(blobSize, size); err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(MaxChunk), zstd.WithDecoderMaxWindow(MaxChunk))
	if err != nil {
		return nil, err
	}
	return &Decoder{ix: ix, dec: dec}, nil
}

// Decode decodes chunk i from its compressed bytes into dst (reused if big
// enough) and checks it against the index: size and sha256.
func (d *Decoder) Decode(dst []byte, i int, comp []byte) ([]byte, error) {
	c := d.ix.Chunks[i]
	if int64(len(comp)) != c.CSize {
		return nil, fmt.Errorf("%w: chunk %d: %d compressed bytes, want %d", ErrCorrupt, i, len(comp), c.CSize)
	}
	out, err := d.dec.DecodeAll(comp, dst[:0])
	if err != nil {
		return nil, fmt.Errorf("%w: chunk %d: %v", ErrCorrupt, i, err)
	}
	if int64(len(out)) != c.Size {
		return nil, fmt.Errorf("%w: chunk %d: %d bytes, want %d", ErrCorrupt, i, len(out), c.Size)
	}
	filters[d.ix.Filter](out, false)
	if Verify(out, c) != nil {
		return nil, fmt.Errorf("%w: chunk %d: sha256 %x, want %x", ErrCorrupt, i, sha256.Sum256(out), c.Digest)
	}
	return out, nil
}

// Verify tells whether b is chunk c's uncompressed bytes.
func Verify(b []byte, c Chunk) error {
	if int64(len(b)) != c.Size || sha256.Sum256(b) != c.Digest {
		return fmt.Errorf("%w: not the chunk's bytes", ErrCorrupt)
	}
	return nil
}

// Close frees the decoder.
func (d *Decoder) Close() { d.dec.Close() }

// NewReader streams the image out of a whole blob read from r, each chunk
// checked before its bytes are passed on.
func (d *Decoder) NewReader(r io.Reader) io.Reader {
	return &reader{d: d, r: r}
}

type reader struct {
	d         *Decoder
	r         io.Reader
	i         int
	comp, out []byte
	left      []byte
	err       error
}

func (r *reader) Read(p []byte) (int, error) {
	for len(r.left) == 0 && r.err == nil {
		r.err = r.next()
	}
	if len(r.left) == 0 {
		return 0, r.err
	}
	n := copy(p, r.left)
	r.left = r.left[n:]
	return n, nil
}

// next decodes the next chunk into left.
func (r *reader) next() error {
	if r.i == len(r.d.ix.Chunks) {
		return io.EOF
	}
	c := r.d.ix.Chunks[r.i]
	if int64(cap(r.comp)) < c.CSize {
		r.comp = make([]byte, c.CSize)
	}
	r.comp = r.comp[:c.CSize]
	if _, err := io.ReadFull(r.r, r.comp); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("%w: the blob ends in chunk %d", ErrCorrupt, r.i)
		}
		return fmt.Errorf("reading chunk %d: %w", r.i, err)
	}
	out, err := r.d.Decode(r.out, r.i, r.comp)
	if err != nil {
		return err
	}
	r.out, r.left = out, out
	r.i++
	return nil
}
