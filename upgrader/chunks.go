package upgrader

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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

// writeChunks writes the slot chunk by chunk, in order: from the running
// slot where the plan says so and the bytes still match the chunk's
// digest, else decoded from the blob, fetched by ranges of neighbouring
// chunks. Every chunk is checked before it is written. ErrNoRanges: the
// registry serves no ranges, and nothing useful was written.
func (u *upgrade) writeChunks() error {
	ix := *u.cfg.Parts.Rootfs.Chunks
	size := u.cfg.Parts.Rootfs.Uncompressed.Size
	ranges, err := artifact.BlobRanges(u.o.Ref, u.cfg.Parts.Rootfs.Digest, u.o.ImageOpts...)
	if err != nil {
		return err
	}
	dec, err := chunked.NewDecoder(ix, u.cfg.Parts.Rootfs.Size, size)
	if err != nil {
		return fmt.Errorf("writing slot %s: %w: %w", u.target, artifact.ErrDigestMismatch, err)
	}
	defer dec.Close()
	offsets, blob := ix.Offsets()
	bar := progress.New(u.o.Progress, size, fmt.Sprintf("writing slot %s (%.1f MB from the slots, %.1f MB to download)",
		u.target, float64(u.plan.Reused)/1e6, float64(u.plan.Fetched)/1e6))
	next := map[int]chunked.Range{} // fetches by first chunk
	for _, r := range u.plan.Fetches {
		next[r.First] = r
	}
	var (
		fetch       io.ReadCloser
		last        = -1 // the last chunk of the open fetch
		local, comp []byte
		out         []byte
		reused      int64
		downloaded  int64
	)
	defer func() {
		if fetch != nil {
			fetch.Close()
		}
	}()
	for i, c := range ix.Chunks {
		var data []byte
		if w := u.plan.From[i]; w.Local >= 0 {
			local = grow(local, c.Size)
			if _, err := u.sources[w.Local].ReadAt(local, w.Offset); err == nil && chunked.Verify(local, c) == nil {
				data = local
				reused += c.Size
			} else {
				u.o.Logf("chunk %d found in a slot does not match its digest: downloading it", i)
			}
		}
		if data == nil {
			if i > last { // open the plan's fetch starting here, or one for this chunk alone
				if fetch != nil {
					fetch.Close()
				}
				r, ok := next[i]
				if !ok {
					r = chunked.Range{First: i, Last: i, Offset: blob[i], Length: c.CSize}
				}
				if fetch, err = ranges.ReadRange(r.Offset, r.Length); err != nil {
					return err
				}
				last = r.Last
			}
			comp = grow(comp, c.CSize)
			if _, err := io.ReadFull(fetch, comp); errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return fmt.Errorf("writing slot %s: fetching chunk %d: %w: the blob ends before it", u.target, i, artifact.ErrDigestMismatch)
			} else if err != nil {
				return fmt.Errorf("writing slot %s: fetching chunk %d: %w", u.target, i, err)
			}
			if out, err = dec.Decode(out, i, comp); err != nil {
				return fmt.Errorf("writing slot %s: %w: %w", u.target, artifact.ErrDigestMismatch, err)
			}
			data = out
			downloaded += c.CSize
		}
		if _, err := u.slot.WriteAt(data, offsets[i]); err != nil {
			return fmt.Errorf("writing slot %s: %w", u.target, err)
		}
		_, _ = bar.Write(data)
	}
	if err := u.slot.Sync(); err != nil {
		return fmt.Errorf("syncing slot %s: %w", u.target, err)
	}
	u.rep.Rootfs.Reused, u.rep.Rootfs.Downloaded = reused, downloaded
	return nil
}

// grow is b with length n, reallocated only if too small.
func grow(b []byte, n int64) []byte {
	if int64(cap(b)) < n {
		return make([]byte, n)
	}
	return b[:n]
}
