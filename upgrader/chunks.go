package upgrader

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/chunked"
	"github.com/ros-os/ros/internal/progress"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/partitions"
)

// chunksFile is where the index of what slot s holds is kept.
func (u *upgrade) chunksFile(s slot.Slot) string {
	return chunked.SlotFile(filepath.Dir(u.o.Record), string(s))
}

// planChunks plans a chunked image: which of its chunks the running slot
// holds, or the inactive slot still holds from its last image (by the
// index kept when each was written; every chunk is checked again when it
// is copied), which to download. A slot whose chunks are not known, or
// that cannot be read, gives nothing.
func (u *upgrade) planChunks() error {
	ix := u.cfg.Parts.Rootfs.Chunks
	u.rep.Rootfs.Full = u.cfg.Parts.Rootfs.Size
	if ix == nil {
		u.rep.Rootfs.Downloaded = u.rep.Rootfs.Full
		return nil
	}
	var locals []chunked.Local
	u.sources = nil
	if have := u.slotChunks(u.o.Booted); have != nil {
		if from, err := u.openRunning(); err != nil {
			u.o.Logf("warning: reading the running slot: %v: its chunks are downloaded", err)
		} else {
			locals, u.sources = append(locals, chunked.Local{Index: *have}), append(u.sources, from)
		}
	}
	if have := u.slotChunks(u.target); have != nil {
		locals, u.sources = append(locals, chunked.Local{Index: *have, InPlace: true}), append(u.sources, u.slot)
	}
	plan := chunked.NewPlan(*ix, locals...)
	u.plan = &plan
	u.rep.Rootfs.Reused, u.rep.Rootfs.Downloaded = plan.Reused, plan.Fetched
	return nil
}

// slotChunks is the index of what slot s holds, nil if unknown.
func (u *upgrade) slotChunks(s slot.Slot) *chunked.Index {
	have, err := chunked.Load(u.chunksFile(s))
	if err != nil {
		u.o.Logf("warning: the chunks of slot %s are not known (%v): they are downloaded", s, err)
	}
	return have
}

// openRunning opens the running slot's partition for reading.
func (u *upgrade) openRunning() (io.ReaderAt, error) {
	if u.o.RunningSlot != nil {
		return u.o.RunningSlot, nil
	}
	dev, err := partitions.DeviceByLabel(partitions.RootLabel(u.o.Booted))
	if err != nil {
		return nil, err
	}
	f, err := os.Open(dev)
	if err != nil {
		return nil, err
	}
	u.closers = append(u.closers, f)
	return f, nil
}

// writeChunks writes the slot chunk by chunk, in order: from a slot where
// the plan says so, else decoded from the blob, fetched by ranges of
// neighbouring chunks. A fetched chunk is checked against its digest
// before it is written; one taken from a slot is checked once, when the
// slot is read back (verify), which downloads it if it is wrong (repair):
// under TCG, hashing every reused chunk twice was a fifth of a delta
// upgrade. Reading (local bytes and the fetch streams) runs in one
// goroutine, in order; decoding, the CPU's share, on every CPU; writing in
// this one, in order.
// ErrNoRanges: the registry serves no ranges, and nothing useful was
// written.
func (u *upgrade) writeChunks() error {
	ix := *u.cfg.Parts.Rootfs.Chunks
	size := u.cfg.Parts.Rootfs.Uncompressed.Size
	workers := chunked.Workers()
	ranges, dec, err := u.chunkSource(workers)
	if err != nil {
		return err
	}
	defer dec.Close()
	offsets, blob := ix.Offsets()
	bar := progress.New(u.o.Progress, size, fmt.Sprintf("writing slot %s (%.1f MB from the slots, %.1f MB to download)",
		u.target, float64(u.plan.Reused)/1e6, float64(u.plan.Fetched)/1e6))

	stop := make(chan struct{})
	jobs := newChunkJobs(workers + 1) // in flight: at most two chunks' bytes each
	ordered, work := make(chan *chunkJob, len(jobs.free)), make(chan *chunkJob, len(jobs.free))
	go u.readChunks(ix, ranges, blob, jobs, ordered, work, stop)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				j.check(dec)
			}
		}()
	}
	defer func() {
		close(stop)
		for j := range ordered { // the reader stops and closes both
			<-j.done
		}
		wg.Wait()
	}()

	var reused, downloaded int64
	for j := range ordered {
		<-j.done
		c := ix.Chunks[j.i]
		data := j.out
		if j.local {
			data = j.in
		}
		switch {
		case j.err != nil:
			return j.err
		case j.local:
			reused += c.Size
			u.unchecked = append(u.unchecked, j.i)
		default:
			downloaded += c.CSize
		}
		if _, err := u.slot.WriteAt(data, offsets[j.i]); err != nil {
			return fmt.Errorf("writing slot %s: %w", u.target, err)
		}
		_, _ = bar.Write(data)
		jobs.put(j)
	}
	if err := jobs.readErr; err != nil {
		return err
	}
	if err := u.slot.Sync(); err != nil {
		return fmt.Errorf("syncing slot %s: %w", u.target, err)
	}
	u.rep.Rootfs.Reused, u.rep.Rootfs.Downloaded = reused, downloaded
	return nil
}

// chunkSource is where fetched chunks come from: the blob's ranges and a
// decoder of its chunks, workers at once.
func (u *upgrade) chunkSource(workers int) (artifact.Ranger, *chunked.Decoder, error) {
	ranges, err := artifact.BlobRanges(u.o.Ref, u.cfg.Parts.Rootfs.Digest, u.o.ImageOpts...)
	if err != nil {
		return nil, nil, err
	}
	dec, err := chunked.NewDecoder(*u.cfg.Parts.Rootfs.Chunks, u.cfg.Parts.Rootfs.Size, u.cfg.Parts.Rootfs.Uncompressed.Size, workers)
	if err != nil {
		return nil, nil, fmt.Errorf("writing slot %s: %w: %w", u.target, artifact.ErrDigestMismatch, err)
	}
	return ranges, dec, nil
}

// repair downloads the chunks of wrong, which were taken from a slot and
// read back wrong, writes them and reads them back again. A chunk that was
// checked before it was written and reads back wrong is the disk's fault:
// that refuses the slot.
func (u *upgrade) repair(wrong []int) error {
	ix := *u.cfg.Parts.Rootfs.Chunks
	offsets, blob := ix.Offsets()
	for _, i := range wrong {
		if !slices.Contains(u.unchecked, i) {
			return fmt.Errorf("verifying slot %s: %w: %s reads back wrong", u.target, artifact.ErrDigestMismatch, ix.Where(i))
		}
	}
	ranges, dec, err := u.chunkSource(1)
	if err != nil {
		return err
	}
	defer dec.Close()
	for _, i := range wrong {
		u.o.Logf("chunk %d taken from a slot does not match its digest: downloading it", i)
		data, err := u.fetchChunk(ranges, dec, i, blob[i])
		if err != nil {
			return err
		}
		if _, err := u.slot.WriteAt(data, offsets[i]); err != nil {
			return fmt.Errorf("writing slot %s: %w", u.target, err)
		}
		c := ix.Chunks[i]
		u.rep.Rootfs.Reused -= c.Size
		u.rep.Rootfs.Downloaded += c.CSize
	}
	if err := u.slot.Sync(); err != nil {
		return fmt.Errorf("syncing slot %s: %w", u.target, err)
	}
	if f, ok := u.slot.(bufferFlusher); ok {
		_ = f.FlushBuffers()
	}
	still, err := chunked.Mismatches(u.slot, ix, wrong, chunked.Workers())
	if err != nil {
		return fmt.Errorf("verifying slot %s: %w", u.target, err)
	}
	if len(still) > 0 {
		return fmt.Errorf("verifying slot %s: %w: %s reads back wrong after it was downloaded", u.target,
			artifact.ErrDigestMismatch, ix.Where(still[0]))
	}
	return nil
}

// chunkJob is one chunk on its way to the slot: its bytes as read (a
// slot's, or compressed from the blob), then decoded.
type chunkJob struct {
	i       int
	local   bool   // in is the chunk as a slot holds it, written as it is
	in, out []byte // out: a fetched chunk decoded and checked
	err     error
	done    chan struct{}
}

// check decodes a fetched chunk (checking it) and marks the job done.
func (j *chunkJob) check(dec *chunked.Decoder) {
	defer close(j.done)
	if j.err != nil || j.local {
		return
	}
	j.out, j.err = dec.Decode(j.out, j.i, j.in)
	if j.err != nil {
		j.err = fmt.Errorf("%w: %w", artifact.ErrDigestMismatch, j.err)
	}
}

// chunkJobs is a fixed set of jobs whose buffers are reused: it bounds the
// memory in flight.
type chunkJobs struct {
	free    chan *chunkJob
	readErr error // why the reader stopped early, once ordered is closed
}

func newChunkJobs(n int) *chunkJobs {
	js := &chunkJobs{free: make(chan *chunkJob, n)}
	for i := 0; i < n; i++ {
		js.free <- &chunkJob{}
	}
	return js
}

func (js *chunkJobs) put(j *chunkJob) { js.free <- j }

// readChunks reads every chunk's bytes in order, from its slot or from
// the plan's fetches, and hands each job to the writer (ordered) and to
// the workers (work); it closes both when done, failed or stopped.
func (u *upgrade) readChunks(ix chunked.Index, ranges artifact.Ranger, blob []int64, jobs *chunkJobs, ordered, work chan<- *chunkJob, stop <-chan struct{}) {
	defer close(ordered)
	defer close(work)
	next := map[int]chunked.Range{} // fetches by first chunk
	for _, r := range u.plan.Fetches {
		next[r.First] = r
	}
	var (
		fetch io.ReadCloser
		last  = -1 // the last chunk of the open fetch
	)
	defer func() {
		if fetch != nil {
			fetch.Close()
		}
	}()
	for i, c := range ix.Chunks {
		var j *chunkJob
		select {
		case j = <-jobs.free:
		case <-stop:
			return
		}
		j.i, j.local, j.err, j.done = i, false, nil, make(chan struct{})
		if w := u.plan.From[i]; w.Local >= 0 {
			j.in = grow(j.in, c.Size)
			if _, err := u.sources[w.Local].ReadAt(j.in, w.Offset); err == nil {
				j.local = true
			} else {
				u.o.Logf("chunk %d: reading it from a slot: %v: downloading it", i, err)
			}
		}
		if !j.local {
			if i > last { // open the plan's fetch starting here, or one for this chunk alone
				if fetch != nil {
					fetch.Close()
				}
				r, ok := next[i]
				if !ok {
					r = chunked.Range{First: i, Last: i, Offset: blob[i], Length: c.CSize}
				}
				var err error
				if fetch, err = ranges.ReadRange(r.Offset, r.Length); err != nil {
					fetch, jobs.readErr = nil, err
					return
				}
				last = r.Last
			}
			j.in = grow(j.in, c.CSize)
			if err := readChunk(fetch, j.in, i); err != nil {
				j.err = fmt.Errorf("writing slot %s: %w", u.target, err)
			}
		}
		failed := j.err != nil
		ordered <- j // never blocks: as many places as jobs
		work <- j
		if failed {
			return
		}
	}
}

// fetchChunk downloads chunk i alone (its bytes in a slot did not match).
func (u *upgrade) fetchChunk(ranges artifact.Ranger, dec *chunked.Decoder, i int, at int64) ([]byte, error) {
	c := u.cfg.Parts.Rootfs.Chunks.Chunks[i]
	rc, err := ranges.ReadRange(at, c.CSize)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	comp := make([]byte, c.CSize)
	if err := readChunk(rc, comp, i); err != nil {
		return nil, fmt.Errorf("writing slot %s: %w", u.target, err)
	}
	out, err := dec.Decode(nil, i, comp)
	if err != nil {
		return nil, fmt.Errorf("writing slot %s: %w: %w", u.target, artifact.ErrDigestMismatch, err)
	}
	return out, nil
}

// readChunk reads chunk i's compressed bytes from a fetch.
func readChunk(r io.Reader, comp []byte, i int) error {
	_, err := io.ReadFull(r, comp)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("fetching chunk %d: %w: the blob ends before it", i, artifact.ErrDigestMismatch)
	}
	if err != nil {
		return fmt.Errorf("fetching chunk %d: %w", i, err)
	}
	return nil
}

// grow is b with length n, reallocated only if too small.
func grow(b []byte, n int64) []byte {
	if int64(cap(b)) < n {
		return make([]byte, n)
	}
	return b[:n]
}
