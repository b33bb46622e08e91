package chunked

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// image is n bytes of pseudo-random data with x86 call and jump opcodes
// sprinkled in, as in a binary.
func image(seed int64, n int) []byte {
	r := rand.New(rand.NewSource(seed))
	b := make([]byte, n)
	r.Read(b)
	for i := 0; i < n/64; i++ {
		p := r.Intn(n)
		b[p] = []byte{0xE8, 0xE9}[r.Intn(2)]
		if p+4 < n && r.Intn(2) == 0 {
			b[p+4] = []byte{0x00, 0xFF}[r.Intn(2)]
		}
	}
	return b
}

func write(t *testing.T, img []byte, filter string) ([]byte, Index) {
	t.Helper()
	var blob bytes.Buffer
	ix, err := Write(&blob, bytes.NewReader(img), filter, Zstd())
	if err != nil {
		t.Fatal(err)
	}
	return blob.Bytes(), ix
}

func decode(t *testing.T, blob []byte, ix Index, size int64) ([]byte, error) {
	t.Helper()
	d, err := NewDecoder(ix, int64(len(blob)), size, 1)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return io.ReadAll(d.NewReader(bytes.NewReader(blob)))
}

func TestX86FilterIsReversible(t *testing.T) {
	for seed := int64(0); seed < 50; seed++ {
		orig := image(seed, 1+rand.New(rand.NewSource(seed)).Intn(5000))
		b := append([]byte(nil), orig...)
		x86(b, true)
		if seed == 0 && bytes.Equal(b, orig) {
			t.Fatal("the filter converted nothing")
		}
		x86(b, false)
		if !bytes.Equal(b, orig) {
			t.Fatalf("seed %d: decode(encode(b)) != b", seed)
		}
	}
}

// TestRoundTrip: the blob streams back to the image, chunk boundaries
// fall between 256 KiB and 4 MiB, and the index survives JSON.
func TestRoundTrip(t *testing.T) {
	img := image(1, 9<<20+12345)
	for _, filter := range []string{"", "x86"} {
		blob, ix := write(t, img, filter)
		if len(ix.Chunks) < 3 {
			t.Fatalf("%d chunks for 9 MiB", len(ix.Chunks))
		}
		for i, c := range ix.Chunks[:len(ix.Chunks)-1] {
			if c.Size < minChunk || c.Size > maxChunk {
				t.Errorf("chunk %d: %d bytes", i, c.Size)
			}
		}
		raw, err := json.Marshal(ix)
		if err != nil {
			t.Fatal(err)
		}
		var back Index
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		got, err := decode(t, blob, back, int64(len(img)))
		if err != nil || !bytes.Equal(got, img) {
			t.Fatalf("filter %q: decoded %d bytes, %v; want the %d of the image", filter, len(got), err, len(img))
		}
	}
}

// TestContentDefined: a change in the middle of an image changes the
// chunks around it only, even when it shifts everything after it.
func TestContentDefined(t *testing.T) {
	a := image(2, 16<<20)
	b := append(append(append([]byte(nil), a[:8<<20]...), []byte("a few inserted bytes")...), a[8<<20:]...)
	_, ia := write(t, a, "x86")
	_, ib := write(t, b, "x86")
	p := NewPlan(ib, Local{Index: ia})
	if p.Reused < int64(len(b))-2*maxChunk {
		t.Errorf("reused %d of %d bytes: a 20-byte insertion should cost at most two chunks", p.Reused, len(b))
	}
	if p.Fetched == 0 || len(p.Fetches) != 1 {
		t.Errorf("fetches %+v, want one run around the insertion", p.Fetches)
	}
}

func TestPlan(t *testing.T) {
	c := func(n byte, size int64) Chunk { return Chunk{Size: size, CSize: size / 2, Digest: [32]byte{n}} }
	slotA := Index{Chunks: []Chunk{c(1, 10), c(2, 20), c(3, 30)}}
	slotB := Index{Chunks: []Chunk{c(4, 40), c(2, 20)}}
	ix := Index{Chunks: []Chunk{c(1, 10), c(9, 8), c(8, 6), c(4, 40), c(2, 20), c(7, 4)}}
	p := NewPlan(ix, Local{Index: slotA}, Local{Index: slotB})
	want := []Where{{0, 0}, {-1, 0}, {-1, 0}, {1, 0}, {0, 10}, {-1, 0}}
	for i, w := range want {
		if p.From[i] != w {
			t.Errorf("chunk %d from %+v, want %+v", i, p.From[i], w)
		}
	}
	// Blob offsets: 5, 4, 3, 20, 10, 2 bytes per chunk.
	if len(p.Fetches) != 2 || p.Fetches[0] != (Range{1, 2, 5, 7}) || p.Fetches[1] != (Range{5, 5, 42, 2}) {
		t.Errorf("fetches %+v", p.Fetches)
	}
	if p.Reused != 70 || p.Fetched != 9 {
		t.Errorf("reused %d, fetched %d; want 70 and 9", p.Reused, p.Fetched)
	}
	// Same digest, other size: not the same chunk.
	if p := NewPlan(Index{Chunks: []Chunk{{Size: 11, CSize: 5, Digest: [32]byte{1}}}}, Local{Index: slotA}); p.From[0].Local != -1 {
		t.Errorf("a chunk of another size was taken from a local image: %+v", p.From[0])
	}
	// The slot being written: its chunk 3 (offset 30) can fill offset 10
	// (read before anything reaches 30), its chunk 1 (offset 0) cannot fill
	// offset 30, which is written after offset 0 is gone.
	target := Index{Chunks: []Chunk{c(1, 10), c(5, 20), c(3, 30)}}
	p = NewPlan(Index{Chunks: []Chunk{c(9, 10), c(3, 30), c(1, 10)}}, Local{Index: target, InPlace: true})
	if p.From[0].Local != -1 || p.From[1] != (Where{0, 30}) || p.From[2].Local != -1 {
		t.Errorf("from the slot being written: %+v", p.From)
	}
}

// TestCorrupt: a tampered chunk, a truncated blob, a truncated index, an
// index pointing outside the blob or with another filter are refused,
// each as ErrCorrupt, before or when the bad chunk is reached.
func TestCorrupt(t *testing.T) {
	img := image(3, 6<<20)
	blob, ix := write(t, img, "x86")
	size := int64(len(img))
	flipped := append([]byte(nil), blob...)
	flipped[len(blob)/2] ^= 1
	truncated := Index{Filter: ix.Filter, Chunks: ix.Chunks[:len(ix.Chunks)-1]}
	outside := Index{Filter: ix.Filter, Chunks: append([]Chunk(nil), ix.Chunks...)}
	outside.Chunks[0].CSize += 100
	huge := Index{Filter: ix.Filter, Chunks: append([]Chunk(nil), ix.Chunks...)}
	huge.Chunks[0].Size, huge.Chunks[1].Size = MaxChunk*4, huge.Chunks[1].Size-(MaxChunk*4-huge.Chunks[0].Size)
	swapped := Index{Filter: ix.Filter, Chunks: append([]Chunk(nil), ix.Chunks...)}
	swapped.Chunks[0].Digest, swapped.Chunks[1].Digest = swapped.Chunks[1].Digest, swapped.Chunks[0].Digest
	tests := []struct {
		name string
		blob []byte
		ix   Index
		want string
	}{
		{"a flipped bit", flipped, ix, "chunk"},
		{"a truncated blob", blob[:len(blob)-10], ix, "-byte blob"},
		{"a truncated index", blob, truncated, "-byte blob"},
		{"an index that points outside the blob", blob, outside, "-byte blob"},
		{"a chunk bigger than a decoder takes", blob, huge, "has"},
		{"digests of other chunks", blob, swapped, "sha256"},
		{"an unknown filter", blob, Index{Filter: "arm64", Chunks: ix.Chunks}, "unknown chunk filter"},
		{"no chunks", blob, Index{}, "0 chunks"},
	}
	for _, tt := range tests {
		got, err := decode(t, tt.blob, tt.ix, size)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v (%d bytes), want ErrCorrupt saying %q", tt.name, err, len(got), tt.want)
		}
	}
	var bad Index
	for _, raw := range []string{`{"chunks":[[1,2]]}`, `{"chunks":[[1,2,"abc"]]}`, `{"chunks":[["1",2,"` + strings.Repeat("0", 64) + `"]]}`} {
		if err := json.Unmarshal([]byte(raw), &bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("index %s: %v, want ErrCorrupt", raw, err)
		}
	}
}

// TestParallelIsTheSame: compressing chunks at once writes the same blob
// and index as one at a time, and a compressor's error is reported.
func TestParallelIsTheSame(t *testing.T) {
	img := image(4, 12<<20)
	one, ix1 := write(t, img, "x86")
	var blob bytes.Buffer
	ix4, err := WriteParallel(&blob, bytes.NewReader(img), "x86", Zstd(), 4)
	if err != nil || !bytes.Equal(blob.Bytes(), one) || !reflect.DeepEqual(ix1, ix4) {
		t.Fatalf("4 workers: %v; same blob %v, same index %v", err, bytes.Equal(blob.Bytes(), one), reflect.DeepEqual(ix1, ix4))
	}
	failing := func(dst, src []byte) ([]byte, error) { return nil, errors.New("out of disk") }
	if _, err := WriteParallel(io.Discard, bytes.NewReader(img), "x86", failing, 2); err == nil || !strings.Contains(err.Error(), "out of disk") {
		t.Errorf("a failing compressor: %v", err)
	}
}

// An image read back is checked chunk by chunk on several CPUs: a good one
// passes, one flipped byte anywhere is found and named by its chunk, and a
// short read fails.
func TestVerifyImage(t *testing.T) {
	img := image(7, 6<<20)
	_, ix := write(t, img, "x86")
	if len(ix.Chunks) < 3 {
		t.Fatalf("%d chunks, want several", len(ix.Chunks))
	}
	for _, workers := range []int{1, 3} {
		if err := VerifyImage(bytes.NewReader(img), ix, workers); err != nil {
			t.Fatalf("%d workers: the image as written: %v", workers, err)
		}
	}
	offsets, _ := ix.Offsets()
	last := len(ix.Chunks) - 1
	for _, i := range []int{0, last / 2, last} {
		bad := append([]byte(nil), img...)
		bad[offsets[i]+ix.Chunks[i].Size-1] ^= 1
		err := VerifyImage(bytes.NewReader(bad), ix, 2)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("chunk %d ", i)) {
			t.Errorf("byte flipped in chunk %d: %v, want it named", i, err)
		}
	}
	if err := VerifyImage(bytes.NewReader(img[:len(img)-1]), ix, 2); err == nil {
		t.Error("an image one byte short passed")
	}
}

// Mismatches names every chunk that reads back wrong, in order, of all the
// chunks or of the ones asked about, and nothing of a good image.
func TestMismatches(t *testing.T) {
	img := image(8, 6<<20)
	_, ix := write(t, img, "x86")
	last := len(ix.Chunks) - 1
	if last < 3 {
		t.Fatalf("%d chunks, want several", len(ix.Chunks))
	}
	offsets, _ := ix.Offsets()
	bad := append([]byte(nil), img...)
	for _, i := range []int{last, 1} {
		bad[offsets[i]] ^= 1
	}
	for _, c := range []struct {
		name      string
		img       []byte
		only      []int
		want      []int
		readError bool
	}{
		{"a good image", img, nil, nil, false},
		{"two chunks flipped", bad, nil, []int{1, last}, false},
		{"asked about one of them", bad, []int{0, last}, []int{last}, false},
		{"asked about good ones", bad, []int{0, 2}, nil, false},
		{"a short image", img[:len(img)-1], nil, nil, true},
	} {
		for _, workers := range []int{1, 3} {
			got, err := Mismatches(bytes.NewReader(c.img), ix, c.only, workers)
			if (err != nil) != c.readError || fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s, %d workers: %v (%v), want %v (a read error: %v)", c.name, workers, got, err, c.want, c.readError)
			}
		}
	}
}

func TestWhere(t *testing.T) {
	ix := Index{Chunks: []Chunk{{Size: 100}, {Size: 50}, {Size: 10}}}
	if got := ix.Where(1); got != "chunk 1 (bytes 100-149)" {
		t.Fatalf("Where(1) = %q", got)
	}
}
