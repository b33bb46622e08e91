package partitions

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/disk"
	"github.com/diskfs/go-diskfs/partition/gpt"
	"github.com/google/uuid"
)

// ErrNoGPT is returned by Read when the disk has no valid GPT.
var ErrNoGPT = errors.New("no GPT partition table")

// WriteOption changes how Write works.
type WriteOption func(*writeOptions)

type writeOptions struct {
	rand io.Reader
}

// WithRand makes Write draw the disk GUID and the partition GUIDs it
// generates from r instead of crypto/rand, so tests get the same GUIDs
// every time.
func WithRand(r io.Reader) WriteOption {
	return func(o *writeOptions) { o.rand = r }
}

// Write writes a new GPT (protective MBR, primary and backup table) with
// the placed partitions to d, replacing any table there. d comes from
// diskfs.Open on a disk image or a block device, opened for writing; placed
// usually comes from Plan(layout, d.Size, d.LogicalBlocksize). Partitions
// with an empty GUID get a random one.
//
// Write returns the partitions as written, GUIDs filled in. On a block
// device it then asks the kernel to re-read the table; if only that fails,
// Write returns the written partitions with the error (which may wrap
// disk.ErrReReadDeferred: the kernel sees the new table after a reboot).
func Write(d *disk.Disk, placed []Placed, opts ...WriteOption) ([]Placed, error) {
	o := writeOptions{rand: rand.Reader}
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkFits(placed, d.Size, d.LogicalBlocksize); err != nil {
		return nil, fmt.Errorf("checking partitions against the disk: %w", err)
	}
	table, written, err := newTable(placed, d, o.rand)
	if err != nil {
		return nil, err
	}
	w, err := d.Backend.Writable()
	if err != nil {
		return nil, fmt.Errorf("opening disk for writing: %w", err)
	}
	if _, err := w.WriteAt(protectiveMBR(d.Size/d.LogicalBlocksize), mbrEntriesOffset); err != nil {
		return nil, fmt.Errorf("writing protective MBR: %w", err)
	}
	if err := table.Write(w, d.Size); err != nil {
		return nil, fmt.Errorf("writing partition table: %w", err)
	}
	d.Table = table
	if err := d.ReReadPartitionTable(); err != nil {
		return written, fmt.Errorf("telling the kernel about the new partition table: %w", err)
	}
	return written, nil
}

// newTable builds the go-diskfs table for placed, filling in GUIDs.
func newTable(placed []Placed, d *disk.Disk, r io.Reader) (*gpt.Table, []Placed, error) {
	diskGUID, err := newGUID(r)
	if err != nil {
		return nil, nil, err
	}
	table := &gpt.Table{
		LogicalSectorSize:  int(d.LogicalBlocksize),
		PhysicalSectorSize: int(d.PhysicalBlocksize),
		ProtectiveMBR:      false, // protectiveMBR writes a better one
		GUID:               diskGUID,
	}
	written := make([]Placed, len(placed))
	for i, p := range placed {
		if p.GUID == "" {
			if p.GUID, err = newGUID(r); err != nil {
				return nil, nil, err
			}
		}
		p.GUID, p.Type = strings.ToUpper(p.GUID), strings.ToUpper(p.Type)
		written[i] = p
		table.Partitions = append(table.Partitions, &gpt.Partition{
			Index:      i + 1,
			Start:      uint64(p.Start),
			End:        uint64(p.End),
			Type:       gpt.Type(p.Type),
			Name:       p.Name,
			GUID:       p.GUID,
			Attributes: p.Attributes,
		})
	}
	return table, written, nil
}

// mbrEntriesOffset is where the MBR partition entries start; the boot code
// before them is left alone.
const mbrEntriesOffset = 446

// protectiveMBR returns the MBR partition entries and signature (bytes
// 446-511 of LBA 0) of a GPT disk with diskSectors logical sectors, as the
// UEFI spec has them: one 0xEE entry from LBA 1 over the whole disk, its
// size capped at 0xFFFFFFFF. go-diskfs v1.9.4 truncates the size to 32 bits
// instead (0x7FFFFFFF on a 3 TiB disk) and leaves the CHS fields zero.
func protectiveMBR(diskSectors int64) []byte {
	b := make([]byte, 512-mbrEntriesOffset)
	copy(b[1:4], []byte{0x00, 0x02, 0x00}) // starting CHS
	b[4] = 0xEE                            // GPT protective
	copy(b[5:8], []byte{0xFF, 0xFF, 0xFF}) // ending CHS: not representable
	binary.LittleEndian.PutUint32(b[8:12], 1)
	binary.LittleEndian.PutUint32(b[12:16], uint32(min(diskSectors-1, math.MaxUint32)))
	b[64], b[65] = 0x55, 0xAA
	return b
}

func newGUID(r io.Reader) (string, error) {
	id, err := uuid.NewRandomFromReader(r)
	if err != nil {
		return "", fmt.Errorf("generating GUID: %w", err)
	}
	return strings.ToUpper(id.String()), nil
}

// checkFits checks that placed is a valid, ordered, non-overlapping set of
// partitions inside the usable area of a GPT on a disk of diskSize bytes
// with sectorSize-byte sectors. go-diskfs checks none of this.
func checkFits(placed []Placed, diskSize, sectorSize int64) error {
	if err := checkSectorSize(sectorSize); err != nil {
		return err
	}
	if len(placed) == 0 || len(placed) > maxParts {
		return fmt.Errorf("%d partitions, want 1 to %d", len(placed), maxParts)
	}
	arraySectors := int64(maxParts*entryBytes) / sectorSize
	firstUsable := 2 + arraySectors
	lastUsable := diskSize/sectorSize - 2 - arraySectors
	prevEnd := firstUsable - 1
	for _, p := range placed {
		if err := p.check(sectorSize, prevEnd, lastUsable); err != nil {
			return fmt.Errorf("partition %q: %w", p.Name, err)
		}
		prevEnd = p.End
	}
	return nil
}

func (p Placed) check(sectorSize, prevEnd, lastUsable int64) error {
	part := Part{Name: p.Name, Type: p.Type, Size: 1}
	if err := part.validate(true); err != nil {
		return err
	}
	if p.GUID != "" {
		if err := checkGUID(p.GUID); err != nil {
			return fmt.Errorf("partition GUID: %w", err)
		}
	}
	switch {
	case p.SectorSize != sectorSize:
		return fmt.Errorf("placed for %d-byte sectors, the disk has %d-byte sectors", p.SectorSize, sectorSize)
	case p.End < p.Start:
		return fmt.Errorf("ends (LBA %d) before it starts (LBA %d)", p.End, p.Start)
	case p.Start <= prevEnd:
		return fmt.Errorf("starts at LBA %d, overlapping the GPT or the partition before it (ends at LBA %d)", p.Start, prevEnd)
	case p.End > lastUsable:
		return fmt.Errorf("ends at LBA %d, past the last usable LBA %d of the disk", p.End, lastUsable)
	}
	return nil
}

// Read reads the GPT of the disk image or block device at path and returns
// its partitions in table order. If the primary GPT is damaged, it returns
// the partitions of the backup GPT. The sector size of a block device is
// asked from the kernel; an image file is tried with 512- then
// 4096-byte sectors.
func Read(path string) ([]Placed, error) {
	d, err := diskfs.Open(path, diskfs.WithOpenMode(diskfs.ReadOnly))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer d.Close()
	placed, err := readDisk(d)
	if err != nil {
		return nil, fmt.Errorf("reading partition table of %s: %w", path, err)
	}
	return placed, nil
}

func readDisk(d *disk.Disk) ([]Placed, error) {
	sizes := []int64{d.LogicalBlocksize}
	if d.DefaultBlocks { // an image file: the kernel cannot tell us
		sizes = []int64{512, 4096}
	}
	var why []string
	for _, ss := range sizes {
		table, err := gpt.Read(d.Backend, int(ss), int(max(ss, d.PhysicalBlocksize)))
		if err != nil {
			why = append(why, fmt.Sprintf("with %d-byte sectors: %v", ss, err))
			continue
		}
		return fromTable(table, ss), nil
	}
	return nil, fmt.Errorf("%w (%s)", ErrNoGPT, strings.Join(why, "; "))
}

func fromTable(t *gpt.Table, sectorSize int64) []Placed {
	placed := make([]Placed, 0, len(t.Partitions))
	for _, p := range t.Partitions {
		placed = append(placed, Placed{
			Name:       p.Name,
			Type:       strings.ToUpper(string(p.Type)),
			GUID:       strings.ToUpper(p.GUID),
			Attributes: p.Attributes,
			Start:      int64(p.Start),
			End:        int64(p.End),
			SectorSize: sectorSize,
		})
	}
	return placed
}
