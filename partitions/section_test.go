package partitions

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// memDisk is a disk in memory.
type memDisk []byte

func (m memDisk) ReadAt(b []byte, off int64) (int, error) {
	n := copy(b, m[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (m memDisk) WriteAt(b []byte, off int64) (int, error) {
	if off+int64(len(b)) > int64(len(m)) {
		return 0, errors.New("memDisk: write past the end")
	}
	return copy(m[off:], b), nil
}

// Three 1 KiB partitions on a 4 KiB disk, the middle one under test.
var (
	before = Placed{Name: "before", Start: 2, End: 3, SectorSize: 512}
	middle = Placed{Name: "middle", Start: 4, End: 5, SectorSize: 512}
	after  = Placed{Name: "after", Start: 6, End: 7, SectorSize: 512}
)

func TestSectionWriteAt(t *testing.T) {
	tests := []struct {
		name    string
		off     int64
		n       int
		wantErr bool
	}{
		{"start", 0, 10, false},
		{"whole partition", 0, 1024, false},
		{"up to the last byte", 1000, 24, false},
		{"empty at the end", 1024, 0, false},
		{"one byte past the end", 1000, 25, true},
		{"bigger than the partition", 0, 1025, true},
		{"at the end", 1024, 1, true},
		{"far past the end", 1 << 40, 1, true},
		{"negative offset", -1, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			disk := make(memDisk, 4096)
			s := NewSection(disk, middle)
			n, err := s.WriteAt(bytes.Repeat([]byte{0xAB}, tt.n), tt.off)
			if tt.wantErr {
				if !errors.Is(err, ErrOutOfBounds) || n != 0 {
					t.Errorf("WriteAt = %d, %v; want 0, ErrOutOfBounds", n, err)
				}
				if !bytes.Equal(disk, make(memDisk, 4096)) {
					t.Error("a refused write changed the disk")
				}
				return
			}
			if err != nil || n != tt.n {
				t.Fatalf("WriteAt = %d, %v; want %d, nil", n, err, tt.n)
			}
			want := make(memDisk, 4096)
			copy(want[middle.Offset()+tt.off:], bytes.Repeat([]byte{0xAB}, tt.n))
			if !bytes.Equal(disk, want) {
				t.Error("WriteAt wrote somewhere else")
			}
		})
	}
}

func TestSectionErrorMessage(t *testing.T) {
	s := NewSection(make(memDisk, 4096), middle)
	_, err := s.WriteAt(make([]byte, 2), 1023)
	want := "writing 2 bytes at offset 1023 of middle (1 KiB): past the end of the partition"
	if err == nil || err.Error() != want {
		t.Errorf("WriteAt error = %v, want %q", err, want)
	}
}

// TestSectionCopyTooBig streams an image bigger than the partition: the
// copy fails and the next partition is untouched.
func TestSectionCopyTooBig(t *testing.T) {
	disk := make(memDisk, 4096)
	s := NewSection(disk, middle)
	image := struct{ io.Reader }{bytes.NewReader(bytes.Repeat([]byte{1}, 1500))} // no WriteTo: copy in chunks
	_, err := io.CopyBuffer(io.NewOffsetWriter(s, 0), image, make([]byte, 512))
	if !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("io.Copy error = %v, want ErrOutOfBounds", err)
	}
	if !bytes.Equal(disk[after.Offset():], make([]byte, after.Size())) {
		t.Error("the copy spilled into the next partition")
	}
}

func TestSectionReadAt(t *testing.T) {
	disk := make(memDisk, 4096)
	for i := range disk {
		disk[i] = byte(i / 512) // each sector holds its LBA
	}
	s := NewSection(disk, middle)
	tests := []struct {
		name    string
		off     int64
		n       int
		want    []byte
		wantErr error
	}{
		{"start", 0, 2, []byte{4, 4}, nil},
		{"across a sector", 511, 2, []byte{4, 5}, nil},
		{"to the end", 1022, 2, []byte{5, 5}, nil},
		{"past the end", 1022, 4, []byte{5, 5}, io.EOF},
		{"at the end", 1024, 1, []byte{}, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, tt.n)
			n, err := s.ReadAt(b, tt.off)
			if err != tt.wantErr || !bytes.Equal(b[:n], tt.want) {
				t.Errorf("ReadAt = %v, %v; want %v, %v", b[:n], err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := s.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("ReadAt at a negative offset succeeded")
	}
	if got, err := io.ReadAll(io.NewSectionReader(s, 0, 1<<20)); err != nil || len(got) != 1024 {
		t.Errorf("reading the whole section: %d bytes, %v; want 1024", len(got), err)
	}
}

// TestOpenPart writes through OpenPart on a real image and finds the bytes
// at the partition's offset in the file.
func TestOpenPart(t *testing.T) {
	path := newImage(t, 4*GiB)
	written := writeDefault(t, path, 512, 1)
	slotB, err := Find(written, RootLabel("b"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenPart(path, RootLabel("b"))
	if err != nil {
		t.Fatalf("OpenPart: %v", err)
	}
	if s.Part != slotB || s.Size() != GiB {
		t.Errorf("OpenPart section = %+v, size %d; want %+v, 1 GiB", s.Part, s.Size(), slotB)
	}
	image := strings.Repeat("squashfs", 1000)
	if _, err := io.Copy(io.NewOffsetWriter(s, 0), strings.NewReader(image)); err != nil {
		t.Fatalf("streaming an image: %v", err)
	}
	if _, err := s.WriteAt([]byte("x"), GiB); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("WriteAt past the slot: %v, want ErrOutOfBounds", err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := make([]byte, len(image)+1)
	if _, err := f.ReadAt(got, slotB.Offset()); err != nil {
		t.Fatal(err)
	}
	if string(got) != image+"\x00" {
		t.Errorf("the image is not at the start of %s", slotB.Name)
	}
	if _, err := OpenPart(path, "ros-root-c"); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenPart of a missing label: %v, want ErrNotFound", err)
	}
}
