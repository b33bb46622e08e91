package chunked

import (
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
)

// Decoder decodes chunks of one index, up to its concurrency at once; its
// memory is a window per decode.
type Decoder struct {
	ix  Index
	dec *zstd.Decoder
}

// Workers is how many chunks are best decoded or checked at once: one per
// CPU, at most four (each holds up to two chunks in memory).
func Workers() int { return min(runtime.GOMAXPROCS(0), 4) }

// NewDecoder checks ix against the blob's and the image's sizes (from the
// signed manifest and config) and returns a decoder for its chunks that
// runs up to concurrency Decode calls at once.
func NewDecoder(ix Index, blobSize, size int64, concurrency int) (*Decoder, error) {
	if err := ix.Check(blobSize, size); err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(max(concurrency, 1)), zstd.WithDecoderLowmem(true),
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

// VerifyImage reads the image ix describes back from r and checks every
// chunk against its digest, workers chunks at once: the same check as one
// sha256 over the whole image (the chunks tile it, by Check) that runs on
// every CPU. The error names the first chunk found wrong.
func VerifyImage(r io.ReaderAt, ix Index, workers int) error {
	wrong, err := Mismatches(r, ix, nil, workers)
	if err != nil {
		return err
	}
	if len(wrong) > 0 {
		return fmt.Errorf("%w: %s reads back wrong", ErrCorrupt, ix.Where(wrong[0]))
	}
	return nil
}

// Mismatches reads back from r the chunks of the image ix describes whose
// indexes are in only (every chunk if only is nil), workers at once, and
// returns, in order, those that do not match their digests. An error is a
// chunk it could not read.
func Mismatches(r io.ReaderAt, ix Index, only []int, workers int) ([]int, error) {
	if only == nil {
		only = make([]int, len(ix.Chunks))
		for i := range only {
			only[i] = i
		}
	}
	offsets, _ := ix.Offsets()
	wrong := make([]bool, len(only))
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		first  = -1
		ferr   error
		wg     sync.WaitGroup
	)
	for w := 0; w < max(workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for !failed.Load() {
				k := int(next.Add(1) - 1)
				if k >= len(only) {
					return
				}
				i := only[k]
				c := ix.Chunks[i]
				if int64(cap(buf)) < c.Size {
					buf = make([]byte, c.Size)
				}
				buf = buf[:c.Size]
				if _, err := r.ReadAt(buf, offsets[i]); err != nil {
					mu.Lock()
					if first < 0 || i < first {
						first, ferr = i, fmt.Errorf("reading chunk %d back: %w", i, err)
					}
					mu.Unlock()
					failed.Store(true)
					return
				}
				wrong[k] = Verify(buf, c) != nil
			}
		}()
	}
	wg.Wait()
	if ferr != nil {
		return nil, ferr
	}
	var out []int
	for k, w := range wrong {
		if w {
			out = append(out, only[k])
		}
	}
	return out, nil
}
