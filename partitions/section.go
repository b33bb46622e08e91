package partitions

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrOutOfBounds is returned by Section.WriteAt for a write that does not
// fit in the partition.
var ErrOutOfBounds = errors.New("past the end of the partition")

// ReadWriterAt is a disk: an image file, a block device, or memory in tests.
type ReadWriterAt interface {
	io.ReaderAt
	io.WriterAt
}

// Section is one partition of a disk as an io.ReaderAt and io.WriterAt with
// offsets relative to the partition start. Writes that do not fit are
// refused whole, so they never spill into the next partition. To stream an
// image into it, io.Copy(io.NewOffsetWriter(s, 0), image).
type Section struct {
	Part   Placed
	disk   ReadWriterAt
	closer io.Closer // nil when the caller owns disk
}

// NewSection returns the section of disk that holds p. Closing the section
// does not close disk.
func NewSection(disk ReadWriterAt, p Placed) *Section {
	return &Section{Part: p, disk: disk}
}

// OpenPart opens the partition named label on the disk image or block
// device at path for reading and writing. The disk is not opened
// exclusively, so a slot can be written while the other slot and STATE are
// mounted. Close the section when done.
func OpenPart(path, label string) (*Section, error) {
	table, err := Read(path)
	if err != nil {
		return nil, err
	}
	p, err := Find(table, label)
	if err != nil {
		return nil, fmt.Errorf("opening partition on %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &Section{Part: p, disk: f, closer: f}, nil
}

// Size is the size of the partition in bytes.
func (s *Section) Size() int64 { return s.Part.Size() }

// ReadAt reads from the partition like io.SectionReader: it returns io.EOF
// at and past the end of the partition.
func (s *Section) ReadAt(b []byte, off int64) (int, error) {
	size := s.Size()
	if off < 0 {
		return 0, fmt.Errorf("reading %s at offset %d: negative offset", s.Part.Name, off)
	}
	if off >= size {
		return 0, io.EOF
	}
	if left := size - off; int64(len(b)) > left {
		n, err := s.disk.ReadAt(b[:left], s.Part.Offset()+off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return s.disk.ReadAt(b, s.Part.Offset()+off)
}

// WriteAt writes b at off in the partition. A write that would not end
// inside the partition writes nothing and returns an error wrapping
// ErrOutOfBounds.
func (s *Section) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off > s.Size()-int64(len(b)) {
		return 0, fmt.Errorf("writing %d bytes at offset %d of %s (%s): %w",
			len(b), off, s.Part.Name, humanSize(s.Size(), false), ErrOutOfBounds)
	}
	return s.disk.WriteAt(b, s.Part.Offset()+off)
}

// Sync flushes the disk to stable storage if it can be synced (an
// *os.File can).
func (s *Section) Sync() error {
	if f, ok := s.disk.(interface{ Sync() error }); ok {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("syncing %s: %w", s.Part.Name, err)
		}
	}
	return nil
}

// Close closes the disk if OpenPart opened it.
func (s *Section) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}
