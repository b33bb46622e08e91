package chunked

// Where says where one chunk of a new image comes from: a local image
// (Local is its position in the list given to NewPlan, Offset the chunk's
// offset in it), or the blob (Local is -1).
type Where struct {
	Local  int
	Offset int64
}

// Range is a run of consecutive chunks fetched with one request: chunks
// First to Last (inclusive), at Offset in the blob, Length bytes.
type Range struct {
	First, Last    int
	Offset, Length int64
}

// Plan is how to make a new image from local ones and the blob.
type Plan struct {
	From    []Where // by chunk of the new index
	Fetches []Range // the chunks whose From is -1, neighbours coalesced
	Reused  int64   // uncompressed bytes copied from local images
	Fetched int64   // blob bytes to download
}

// Local is an image an upgrade may copy chunks from: a slot and the index
// of what it holds. InPlace marks the slot being written: a chunk of it
// can only be taken before it is overwritten, so only from an offset at or
// after the one it is written to (the slot is written in order).
type Local struct {
	Index   Index
	InPlace bool
}

// NewPlan finds each chunk of ix in the local images (earlier ones
// preferred) by its digest and size, and fetches the rest. A local chunk
// is checked against the digest when it is copied; one that does not
// match is fetched instead.
func NewPlan(ix Index, locals ...Local) Plan {
	type at struct {
		local  int
		offset int64
	}
	have := map[Chunk][]at{}
	for l, local := range locals {
		offsets, _ := local.Index.Offsets()
		for i, c := range local.Index.Chunks {
			k := Chunk{Size: c.Size, Digest: c.Digest}
			have[k] = append(have[k], at{l, offsets[i]})
		}
	}
	image, blob := ix.Offsets()
	p := Plan{From: make([]Where, len(ix.Chunks))}
	for i, c := range ix.Chunks {
		found := false
		for _, a := range have[Chunk{Size: c.Size, Digest: c.Digest}] {
			if !locals[a.local].InPlace || a.offset >= image[i] {
				p.From[i] = Where{Local: a.local, Offset: a.offset}
				p.Reused += c.Size
				found = true
				break
			}
		}
		if found {
			continue
		}
		p.From[i] = Where{Local: -1}
		p.Fetched += c.CSize
		if n := len(p.Fetches); n > 0 && p.Fetches[n-1].Last == i-1 {
			p.Fetches[n-1].Last = i
			p.Fetches[n-1].Length += c.CSize
			continue
		}
		p.Fetches = append(p.Fetches, Range{First: i, Last: i, Offset: blob[i], Length: c.CSize})
	}
	return p
}
