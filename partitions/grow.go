package partitions

import (
	"crypto/rand"
	"fmt"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/partition/gpt"
)

// GrowLast is placed with its last partition, if that is STATE, grown to
// the end of a disk of diskSize bytes (as Plan would place it there:
// aligned, room left for the backup GPT), and whether it grew: a cloud
// VM's disk is rarely the size of the image it was made from. Less than
// an Alignment more is not worth it.
func GrowLast(placed []Placed, diskSize int64) ([]Placed, bool) {
	if len(placed) == 0 || placed[len(placed)-1].Name != LabelState {
		return placed, false
	}
	last := placed[len(placed)-1]
	end := (alignDown(diskSize, Alignment)-Alignment)/last.SectorSize - 1
	if end < last.End+Alignment/last.SectorSize {
		return placed, false
	}
	out := append([]Placed(nil), placed...)
	out[len(out)-1].End = end
	return out, true
}

// Grow grows STATE, the last partition of the disk at path, to the disk's
// end when the disk is bigger than the table says (GrowLast), keeping
// every GUID, and asks the kernel to re-read the table. It reports whether
// it grew; the filesystem on STATE is grown after, by resize2fs.
func Grow(path string) (bool, error) {
	d, err := diskfs.Open(path)
	if err != nil {
		return false, fmt.Errorf("opening %s: %w", path, err)
	}
	defer d.Close()
	ss := d.LogicalBlocksize
	table, err := gpt.Read(d.Backend, int(ss), int(max(ss, d.PhysicalBlocksize)))
	if err != nil {
		return false, fmt.Errorf("reading the partition table of %s: %w", path, err)
	}
	grown, ok := GrowLast(fromTable(table, ss), d.Size)
	if !ok {
		return false, nil
	}
	if err := checkFits(grown, d.Size, ss); err != nil {
		return false, fmt.Errorf("growing %s: %w", LabelState, err)
	}
	// A fresh table (go-diskfs places the backup GPT of a table it read
	// where it was), with the same disk and partition GUIDs.
	fresh, _, err := newTable(grown, d, rand.Reader)
	if err != nil {
		return false, err
	}
	fresh.GUID = table.GUID
	table = fresh
	w, err := d.Backend.Writable()
	if err != nil {
		return false, fmt.Errorf("opening %s for writing: %w", path, err)
	}
	if _, err := w.WriteAt(protectiveMBR(d.Size/ss), mbrEntriesOffset); err != nil {
		return false, fmt.Errorf("writing the protective MBR of %s: %w", path, err)
	}
	if err := table.Write(w, d.Size); err != nil {
		return false, fmt.Errorf("writing the partition table of %s: %w", path, err)
	}
	d.Table = table
	if err := d.ReReadPartitionTable(); err != nil {
		return true, fmt.Errorf("telling the kernel about the grown %s: %w", LabelState, err)
	}
	return true, nil
}
