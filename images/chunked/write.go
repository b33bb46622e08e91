package chunked

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/restic/chunker"
)

// Chunk boundaries: Rabin fingerprints over a 64-byte window (restic's
// chunker) with a fixed polynomial, so the same bytes are always cut the
// same way; about 1 MiB per chunk, 256 KiB to 4 MiB. Measured against
// other sizes on the ros root filesystem in docs/benchmarks.md.
const (
	polynomial  = chunker.Pol(0x3DA3358B4DC173)
	averageBits = 20
	minChunk    = 256 << 10
	maxChunk    = 4 << 20
)

// Compressor compresses one chunk into a zstd frame (appended to dst).
type Compressor func(dst, src []byte) ([]byte, error)

// Zstd is the Go encoder at its best level: what tests and hosts without
// zstd(1) use; the image build uses zstd(1) at a higher level, which
// decodes the same.
func Zstd() Compressor {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression),
		zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false), zstd.WithWindowSize(maxChunk))
	if err != nil {
		panic(err) // only for invalid options
	}
	return func(dst, src []byte) ([]byte, error) { return enc.EncodeAll(src, dst), nil }
}

// Write cuts the image read from r into chunks, filters ("x86" or "") and
// compresses each one, writes the compressed chunks to w in order and
// returns their index.
func Write(w io.Writer, r io.Reader, filter string, compress Compressor) (Index, error) {
	return WriteParallel(w, r, filter, compress, 1)
}

// WriteParallel is Write with up to workers chunks compressed at once
// (compress must allow it); the output is the same.
func WriteParallel(w io.Writer, r io.Reader, filter string, compress Compressor, workers int) (Index, error) {
	f, ok := filters[filter]
	if !ok {
		return Index{}, fmt.Errorf("chunking: unknown filter %q", filter)
	}
	workers = max(workers, 1)
	type job struct {
		n    int
		data []byte
		sum  [32]byte
		out  []byte
		err  error
		done chan struct{}
	}
	jobs, order := make(chan *job), make(chan *job, workers)
	for range workers {
		go func() {
			for j := range jobs {
				j.sum = sha256.Sum256(j.data)
				f(j.data, true)
				j.out, j.err = compress(nil, j.data)
				close(j.done)
			}
		}()
	}
	ix := Index{Filter: filter}
	var werr error
	collected := make(chan struct{})
	go func() { // writes the compressed chunks in order
		defer close(collected)
		for j := range order {
			<-j.done
			if werr != nil {
				continue
			}
			switch {
			case j.err != nil:
				werr = fmt.Errorf("compressing chunk %d: %w", j.n, j.err)
			default:
				if _, err := w.Write(j.out); err != nil {
					werr = fmt.Errorf("writing chunk %d: %w", j.n, err)
					continue
				}
				ix.Chunks = append(ix.Chunks, Chunk{Size: int64(len(j.data)), CSize: int64(len(j.out)), Digest: j.sum})
			}
		}
	}()
	c := chunker.NewWithBoundaries(bufio.NewReaderSize(r, 1<<20), polynomial, minChunk, maxChunk)
	c.SetAverageBits(averageBits)
	var rerr error
	for n := 0; ; n++ {
		ch, err := c.Next(make([]byte, maxChunk))
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rerr = fmt.Errorf("chunking: %w", err)
			break
		}
		j := &job{n: n, data: ch.Data, done: make(chan struct{})}
		order <- j // bounds the chunks in memory to about 2×workers
		jobs <- j
	}
	close(jobs)
	close(order)
	<-collected
	switch {
	case rerr != nil:
		return Index{}, rerr
	case werr != nil:
		return Index{}, werr
	case len(ix.Chunks) == 0:
		return Index{}, errors.New("chunking: the image is empty")
	}
	return ix, nil
}
