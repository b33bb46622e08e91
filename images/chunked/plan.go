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

// NewPlan finds each chunk of ix in the local images (the slots, by the
// indexes they were written from; earlier ones preferred) by its digest
// and size, and fetches the rest. A local chunk is checked against the
// digest when it is copied; one that does not match is fetched instead.
func NewPlan(ix Index, locals ...Index) Plan {
	type at struct {
		local  int
		offset int64
	}
	have := map[Chunk]at{}
	for l := len(locals) - 1; l >= 0; l-- {
		offsets, _ := locals[l].Offsets()
		for i, c := range locals[l].Chunks {
			have[Chunk{Size: c.Size, Digest: c.Digest}] = at{l, offsets[i]}
		}
	}
	_, blob := ix.Offsets()
	p := Plan{From: make([]Where, len(ix.Chunks))}
	for i, c := range ix.Chunks {
		if a, ok := have[Chunk{Size: c.Size, Digest: c.Digest}]; ok {
			p.From[i] = Where{Local: a.local, Offset: a.offset}
			p.Reused += c.Size
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
