package partitions

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/google/uuid"
)

// Alignment is where partitions start: every partition starts on a 1 MiB
// boundary. Plan also keeps the first and the last MiB of the disk free for
// the primary and the backup GPT.
const Alignment = 1 * MiB

// maxParts and maxNameUnits are the limits of a GPT with the usual
// 128-entry array.
const (
	maxParts     = 128
	maxNameUnits = 36
	entryBytes   = 128
)

var (
	// ErrDiskTooSmall is returned (in a *DiskTooSmallError) when the layout
	// does not fit on the disk.
	ErrDiskTooSmall = errors.New("disk too small")
	// ErrNotFound is returned by Find when no partition has the label.
	ErrNotFound = errors.New("no such partition")
	// ErrSlotTooSmall: a root filesystem does not fit its slot.
	ErrSlotTooSmall = errors.New("root filesystem does not fit the slot")
)

// DiskTooSmallError says how big the disk is and how big it must be. It
// matches ErrDiskTooSmall with errors.Is.
type DiskTooSmallError struct {
	Size int64 // bytes on the disk
	Min  int64 // bytes the layout needs, MinDiskSize
}

func (e *DiskTooSmallError) Error() string {
	return fmt.Sprintf("disk is %s, ros needs at least %s: use a bigger disk or smaller --slot-size",
		humanSize(e.Size, false), humanSize(e.Min, true))
}

// Is makes errors.Is(err, ErrDiskTooSmall) true.
func (e *DiskTooSmallError) Is(target error) bool { return target == ErrDiskTooSmall }

// Placed is a partition at its place on a disk.
type Placed struct {
	Name       string // GPT partition name (PARTLABEL)
	Type       string // type GUID, upper case
	GUID       string // partition GUID (PARTUUID), upper case; "" until written
	Attributes uint64
	Start      int64 // first LBA
	End        int64 // last LBA, inclusive
	SectorSize int64 // bytes per logical sector
}

// Offset is where the partition starts, in bytes from the start of the disk.
func (p Placed) Offset() int64 { return p.Start * p.SectorSize }

// Size is the size of the partition in bytes.
func (p Placed) Size() int64 { return (p.End - p.Start + 1) * p.SectorSize }

// MinDiskSize returns the smallest disk l fits on, in bytes: the first and
// last Alignment, every part rounded up to Alignment, and a rest-of-disk
// part at its MinSize (at least Alignment).
func MinDiskSize(l Layout) int64 {
	total := 2 * Alignment
	for _, p := range l {
		total += alignUp(partMin(p), Alignment)
	}
	return total
}

// partMin is the least number of bytes p takes.
func partMin(p Part) int64 {
	if p.Size > 0 {
		return p.Size
	}
	return max(p.MinSize, Alignment)
}

// Plan places l on a disk of diskSize bytes with sectorSize-byte logical
// sectors. Every partition starts on an Alignment boundary; a fixed-size
// partition takes its Size rounded up to whole sectors; the last
// partition, if its Size is 0, takes the rest of the disk up to the last
// Alignment boundary that leaves at least Alignment for the backup GPT.
// If the disk is too small, the error is a *DiskTooSmallError.
func Plan(l Layout, diskSize, sectorSize int64) ([]Placed, error) {
	if err := checkSectorSize(sectorSize); err != nil {
		return nil, err
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if need := MinDiskSize(l); diskSize < need {
		return nil, &DiskTooSmallError{Size: diskSize, Min: need}
	}
	limit := alignDown(diskSize, Alignment) - Alignment // first byte after the last partition
	placed := make([]Placed, 0, len(l))
	off := Alignment
	for _, p := range l {
		size := alignUp(p.Size, sectorSize)
		if p.Size == 0 {
			size = limit - off
		}
		placed = append(placed, Placed{
			Name:       p.Name,
			Type:       strings.ToUpper(p.Type),
			Attributes: p.Attributes,
			Start:      off / sectorSize,
			End:        (off+size)/sectorSize - 1,
			SectorSize: sectorSize,
		})
		off = alignUp(off+size, Alignment)
	}
	return placed, nil
}

// Validate checks l for what a GPT cannot hold or Plan cannot place.
func (l Layout) Validate() error {
	if len(l) == 0 || len(l) > maxParts {
		return fmt.Errorf("layout has %d partitions, want 1 to %d", len(l), maxParts)
	}
	seen := make(map[string]bool, len(l))
	for i, p := range l {
		if err := p.validate(i == len(l)-1); err != nil {
			return fmt.Errorf("checking partition %d (%q): %w", i+1, p.Name, err)
		}
		if seen[p.Name] {
			return fmt.Errorf("checking partition %d: name %q is used twice", i+1, p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

func (p Part) validate(last bool) error {
	switch n := len(utf16.Encode([]rune(p.Name))); {
	case n == 0:
		return errors.New("empty name")
	case n > maxNameUnits:
		return fmt.Errorf("name is %d UTF-16 code units, GPT holds %d", n, maxNameUnits)
	}
	if err := checkGUID(p.Type); err != nil {
		return fmt.Errorf("type: %w", err)
	}
	switch {
	case p.Size < 0 || p.MinSize < 0:
		return errors.New("negative size")
	case p.Size == 0 && !last:
		return errors.New("only the last partition can take the rest of the disk (size 0)")
	}
	return nil
}

// checkGUID accepts only the 36-character form, which is what a GPT tool
// prints.
func checkGUID(s string) error {
	if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
		return fmt.Errorf("%q is not a GUID like C12A7328-F81F-11D2-BA4B-00A0C93EC93B", s)
	}
	return nil
}

func checkSectorSize(n int64) error {
	if n < 512 || n > 4096 || n&(n-1) != 0 {
		return fmt.Errorf("sector size %d: want 512, 1024, 2048 or 4096", n)
	}
	return nil
}

// Find returns the partition of table named label. It is an error if none
// (ErrNotFound) or more than one has that name.
func Find(table []Placed, label string) (Placed, error) {
	var found []Placed
	for _, p := range table {
		if p.Name == label {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return Placed{}, fmt.Errorf("finding partition %q: %w", label, ErrNotFound)
	case 1:
		return found[0], nil
	default:
		return Placed{}, fmt.Errorf("finding partition %q: %d partitions have that name", label, len(found))
	}
}

func alignUp(n, a int64) int64   { return (n + a - 1) / a * a }
func alignDown(n, a int64) int64 { return n / a * a }

// humanSize formats n bytes with one decimal in the largest binary unit it
// reaches ("500 MiB", "2.8 GiB"). It rounds up if up is set, down if not,
// so a minimum is never understated and a size never overstated.
func humanSize(n int64, up bool) string {
	units := []struct {
		name string
		size int64
	}{{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}}
	for _, u := range units {
		if n < u.size {
			continue
		}
		whole, rem := n/u.size, n%u.size
		tenths := rem * 10 / u.size
		if up && rem*10%u.size != 0 {
			tenths++
		}
		if tenths == 10 {
			whole, tenths = whole+1, 0
		}
		if tenths == 0 {
			return fmt.Sprintf("%d %s", whole, u.name)
		}
		return fmt.Sprintf("%d.%d %s", whole, tenths, u.name)
	}
	return fmt.Sprintf("%d bytes", n)
}
