// Package chunked is the download format of a root filesystem: the slot
// image cut at content-defined boundaries (so an unchanged file gives
// unchanged chunks), each chunk compressed on its own and the compressed
// chunks concatenated into one blob, with an index of their sizes and of
// the sha256 of each chunk's uncompressed bytes.
//
// A first install streams the blob whole (NewReader); an upgrade copies the
// chunks a local slot already holds and fetches only the others, by their
// byte ranges in the blob (Plan). Each chunk is decoded and checked on its
// own, so a damaged or foreign chunk is found before it is written.
package chunked

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Chunk is one chunk of the uncompressed image, in order.
type Chunk struct {
	Size   int64    // uncompressed bytes
	CSize  int64    // bytes of its compressed form in the blob
	Digest [32]byte // sha256 of the uncompressed bytes
}

// Index describes a blob. Filter names the reversible transform applied to
// each chunk before compression ("x86", see Filter; "" none).
type Index struct {
	Filter string
	Chunks []Chunk
}

// ErrCorrupt: a blob, an index or a chunk is not what it should be.
var ErrCorrupt = errors.New("corrupt chunked image")

// Limits every index is checked against: a chunk is decoded in memory, so
// its sizes are bounded; the Chunker never makes bigger ones.
const (
	MaxChunk  = 16 << 20
	maxChunks = 1 << 20
)

// Size is the uncompressed size: what a slot holds.
func (ix Index) Size() int64 {
	var n int64
	for _, c := range ix.Chunks {
		n += c.Size
	}
	return n
}

// BlobSize is the size of the blob the index describes.
func (ix Index) BlobSize() int64 {
	var n int64
	for _, c := range ix.Chunks {
		n += c.CSize
	}
	return n
}

// Check tells whether the index can describe a blob of blobSize bytes
// holding an image of size bytes: a truncated index, or one whose chunks
// point outside the blob, is refused before anything is fetched.
func (ix Index) Check(blobSize, size int64) error {
	if _, ok := filters[ix.Filter]; !ok {
		return fmt.Errorf("%w: unknown chunk filter %q (a newer ros made it?)", ErrCorrupt, ix.Filter)
	}
	if len(ix.Chunks) == 0 || len(ix.Chunks) > maxChunks {
		return fmt.Errorf("%w: the index has %d chunks", ErrCorrupt, len(ix.Chunks))
	}
	for i, c := range ix.Chunks {
		if c.Size <= 0 || c.Size > MaxChunk || c.CSize <= 0 || c.CSize > MaxChunk+MaxChunk/8 {
			return fmt.Errorf("%w: chunk %d has %d bytes, %d compressed", ErrCorrupt, i, c.Size, c.CSize)
		}
	}
	if got := ix.BlobSize(); got != blobSize {
		return fmt.Errorf("%w: the index covers %d bytes of a %d-byte blob", ErrCorrupt, got, blobSize)
	}
	if got := ix.Size(); got != size {
		return fmt.Errorf("%w: the index makes %d bytes of a %d-byte image", ErrCorrupt, got, size)
	}
	return nil
}

// Offsets are where each chunk starts in the image and in the blob.
func (ix Index) Offsets() (image, blob []int64) {
	image, blob = make([]int64, len(ix.Chunks)), make([]int64, len(ix.Chunks))
	var u, c int64
	for i, ch := range ix.Chunks {
		image[i], blob[i] = u, c
		u += ch.Size
		c += ch.CSize
	}
	return image, blob
}

// Where names chunk i and the image bytes it covers, for messages:
// "chunk 3 (bytes 196608-262143)".
func (ix Index) Where(i int) string {
	offsets, _ := ix.Offsets()
	return fmt.Sprintf("chunk %d (bytes %d-%d)", i, offsets[i], offsets[i]+ix.Chunks[i].Size-1)
}

// indexJSON is the index as it is stored (in the image config, which the
// signature covers): chunks as [size, csize, "sha256 hex"], ~90 bytes each.
type indexJSON struct {
	Filter string            `json:"filter,omitempty"`
	Chunks []json.RawMessage `json:"chunks"`
}

// MarshalJSON stores the index compactly.
func (ix Index) MarshalJSON() ([]byte, error) {
	out := indexJSON{Filter: ix.Filter, Chunks: make([]json.RawMessage, len(ix.Chunks))}
	for i, c := range ix.Chunks {
		out.Chunks[i] = json.RawMessage(fmt.Sprintf(`[%d,%d,"%x"]`, c.Size, c.CSize, c.Digest))
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON stored.
func (ix *Index) UnmarshalJSON(b []byte) error {
	var in indexJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*ix = Index{Filter: in.Filter, Chunks: make([]Chunk, len(in.Chunks))}
	for i, raw := range in.Chunks {
		var t [3]any
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("%w: chunk %d: %v", ErrCorrupt, i, err)
		}
		size, ok1 := t[0].(float64)
		csize, ok2 := t[1].(float64)
		digest, ok3 := t[2].(string)
		sum, err := hex.DecodeString(digest)
		if !ok1 || !ok2 || !ok3 || err != nil || len(sum) != sha256.Size {
			return fmt.Errorf("%w: chunk %d is not [size, csize, sha256]: %s", ErrCorrupt, i, raw)
		}
		ix.Chunks[i] = Chunk{Size: int64(size), CSize: int64(csize)}
		copy(ix.Chunks[i].Digest[:], sum)
	}
	return nil
}
