package partitions

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	diskfs "github.com/diskfs/go-diskfs"

	"github.com/ros-os/ros/internal/testutil/need"
)

// newImage returns the path of a sparse, all-zero image file of size bytes.
func newImage(t *testing.T, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeDefault partitions the disk at path with the default layout, GUIDs
// drawn from seed, and returns what Write wrote.
func writeDefault(t *testing.T, path string, sectorSize int64, seed byte) []Placed {
	t.Helper()
	d, err := diskfs.Open(path, diskfs.WithSectorSize(diskfs.SectorSize(sectorSize)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	placed, err := Plan(DefaultLayout(Sizes{}), d.Size, d.LogicalBlocksize)
	if err != nil {
		t.Fatal(err)
	}
	written, err := Write(d, placed, WithRand(rand.NewChaCha8([32]byte{seed})))
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return written
}

func TestWriteRead(t *testing.T) {
	for _, ss := range []int64{512, 4096} {
		t.Run(fmt.Sprint(ss), func(t *testing.T) {
			path := newImage(t, 4*GiB)
			written := writeDefault(t, path, ss, 1)
			checkWritten(t, written, ss)
			got, err := Read(path)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(written) {
				t.Errorf("Read =\n%+v\nwrote\n%+v", got, written)
			}
		})
	}
}

// checkWritten checks that Write kept the plan and gave every partition a
// GUID of its own.
func checkWritten(t *testing.T, written []Placed, sectorSize int64) {
	t.Helper()
	plan, err := Plan(DefaultLayout(Sizes{}), 4*GiB, sectorSize)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, p := range written {
		if err := checkGUID(p.GUID); err != nil || seen[p.GUID] || p.GUID != strings.ToUpper(p.GUID) {
			t.Errorf("%s has GUID %q: want a new upper-case GUID (%v)", p.Name, p.GUID, err)
		}
		seen[p.GUID] = true
		p.GUID = ""
		if p != plan[i] {
			t.Errorf("wrote %+v, planned %+v", p, plan[i])
		}
	}
}

// TestWriteDeterministic: WithRand makes two writes byte-identical.
func TestWriteDeterministic(t *testing.T) {
	read := func(seed byte) []byte {
		path := newImage(t, 4*GiB)
		writeDefault(t, path, 512, seed)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		head, tail := make([]byte, MiB), make([]byte, MiB)
		if _, err := f.ReadAt(head, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ReadAt(tail, 4*GiB-MiB); err != nil {
			t.Fatal(err)
		}
		return append(head, tail...)
	}
	one, two, other := read(7), read(7), read(8)
	if !bytes.Equal(one, two) {
		t.Error("two writes with the same seed differ")
	}
	if bytes.Equal(one, other) {
		t.Error("writes with different seeds are the same")
	}
}

// TestWriteKeepsGUIDs: a partition that has a GUID keeps it.
func TestWriteKeepsGUIDs(t *testing.T) {
	path := newImage(t, 4*GiB)
	d, err := diskfs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	placed, err := Plan(DefaultLayout(Sizes{}), d.Size, d.LogicalBlocksize)
	if err != nil {
		t.Fatal(err)
	}
	placed[1].GUID = "0fc63daf-0000-4000-8000-000000000001"
	written, err := Write(d, placed)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := written[1].GUID, "0FC63DAF-0000-4000-8000-000000000001"; got != want {
		t.Errorf("GUID = %s, want %s", got, want)
	}
}

// TestSgdisk checks a written image with the real sgdisk: the GPT must be
// valid and hold what Write says it wrote. sgdisk reads image files with
// 512-byte sectors only; TestBlockDevice covers 4096.
func TestSgdisk(t *testing.T) {
	sgdisk := need.Tool(t, "sgdisk")
	path := newImage(t, 4*GiB)
	written := writeDefault(t, path, 512, 1)
	checkSgdisk(t, sgdisk, path, written)
}

func checkSgdisk(t *testing.T, sgdisk, path string, written []Placed) {
	t.Helper()
	if out := run(t, sgdisk, "-v", path); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v %s:\n%s", path, out)
	}
	// Number  Start (sector)    End (sector)  Size       Code  Name
	//    1            2048         1050623   512.0 MiB   EF00  ros-esp
	row := regexp.MustCompile(`(?m)^\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+ \S+\s+[0-9A-F]{4}\s+(.*)$`)
	out := run(t, sgdisk, "-p", path)
	rows := row.FindAllStringSubmatch(out, -1)
	if len(rows) != len(written) {
		t.Fatalf("sgdisk -p shows %d partitions, wrote %d:\n%s", len(rows), len(written), out)
	}
	for i, p := range written {
		want := []string{fmt.Sprint(i + 1), fmt.Sprint(p.Start), fmt.Sprint(p.End), p.Name}
		if got := rows[i][1:]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("sgdisk -p row %d = %q, want %q", i+1, got, want)
		}
		info := run(t, sgdisk, "-i", fmt.Sprint(i+1), path)
		for _, line := range []string{
			"Partition GUID code: " + p.Type,
			"Partition unique GUID: " + p.GUID,
			fmt.Sprintf("Attribute flags: %016X", p.Attributes),
			fmt.Sprintf("Partition name: '%s'", p.Name),
		} {
			if !strings.Contains(info, line) {
				t.Errorf("sgdisk -i %d lacks %q:\n%s", i+1, line, info)
			}
		}
	}
}

// TestPartx checks a written image with libblkid, through partx: udev
// makes /dev/disk/by-partlabel from what libblkid reads.
func TestPartx(t *testing.T) {
	partx := need.Tool(t, "partx")
	path := newImage(t, 4*GiB)
	written := writeDefault(t, path, 512, 1)
	checkPartx(t, partx, path, written)
}

func checkPartx(t *testing.T, partx, path string, written []Placed) {
	t.Helper()
	out := run(t, partx, "--raw", "--noheadings", "--output", "NR,START,END,NAME,UUID,TYPE,FLAGS", path)
	var want strings.Builder
	for i, p := range written {
		// partx counts in 512-byte units whatever the sector size.
		start, end := p.Offset()/512, (p.Offset()+p.Size())/512-1
		fmt.Fprintf(&want, "%d %d %d %s %s %s %#x\n", i+1, start, end, p.Name,
			strings.ToLower(p.GUID), strings.ToLower(p.Type), p.Attributes)
	}
	if out != want.String() {
		t.Errorf("partx --show %s =\n%s\nwant\n%s", path, out, want.String())
	}
}

// TestProtectiveMBR: on a disk of more than 2^32 sectors the size of the
// protective MBR entry is 0xFFFFFFFF, as UEFI says.
func TestProtectiveMBR(t *testing.T) {
	tests := []struct {
		name       string
		size       int64
		sectorSize int64
		want       uint32
	}{
		{"4 GiB 512", 4 * GiB, 512, uint32(4*GiB/512 - 1)},
		{"4 GiB 4096", 4 * GiB, 4096, uint32(4*GiB/4096 - 1)},
		{"3 TiB 512", 3 * TiB, 512, 0xFFFFFFFF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := newImage(t, tt.size)
			writeDefault(t, path, tt.sectorSize, 1)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			mbr := make([]byte, 512)
			if _, err := f.ReadAt(mbr, 0); err != nil {
				t.Fatal(err)
			}
			entry := mbr[446:462]
			if entry[4] != 0xEE || binary.LittleEndian.Uint32(entry[8:12]) != 1 {
				t.Errorf("protective MBR entry = % x, want type 0xEE from LBA 1", entry)
			}
			if got := binary.LittleEndian.Uint32(entry[12:16]); got != tt.want {
				t.Errorf("protective MBR size = %#x, want %#x", got, tt.want)
			}
			if !bytes.Equal(mbr[462:510], make([]byte, 48)) || mbr[510] != 0x55 || mbr[511] != 0xAA {
				t.Errorf("MBR entries 2-4 or signature wrong: % x", mbr[462:])
			}
		})
	}
}

func TestSgdiskLargeDisk(t *testing.T) {
	sgdisk := need.Tool(t, "sgdisk")
	path := newImage(t, 3*TiB)
	written := writeDefault(t, path, 512, 1)
	checkSgdisk(t, sgdisk, path, written)
}

func TestWriteRejects(t *testing.T) {
	plan, err := Plan(DefaultLayout(Sizes{}), 4*GiB, 512)
	if err != nil {
		t.Fatal(err)
	}
	with := func(i int, f func(p *Placed)) []Placed {
		placed := append([]Placed(nil), plan...)
		f(&placed[i])
		return placed
	}
	tests := []struct {
		name    string
		placed  []Placed
		wantErr string
	}{
		{"overlap", with(1, func(p *Placed) { p.Start = plan[0].End }), "overlapping"},
		{"out of order", []Placed{plan[1], plan[0]}, "overlapping"},
		{"inside the primary GPT", with(0, func(p *Placed) { p.Start = 33 }), "overlapping the GPT"},
		{"inside the backup GPT", with(3, func(p *Placed) { p.End = 4*GiB/512 - 33 }), "past the last usable LBA"},
		{"ends before it starts", with(0, func(p *Placed) { p.End = p.Start - 1 }), "before it starts"},
		{"other sector size", with(2, func(p *Placed) { p.SectorSize = 4096 }), "4096-byte sectors"},
		{"bad GUID", with(2, func(p *Placed) { p.GUID = "nope" }), "not a GUID"},
		{"bad type", with(2, func(p *Placed) { p.Type = "" }), "not a GUID"},
		{"no partitions", nil, "0 partitions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := newImage(t, 4*GiB)
			d, err := diskfs.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			_, err = Write(d, tt.placed)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Write error = %v, want one containing %q", err, tt.wantErr)
			}
			if _, err := Read(path); !errors.Is(err, ErrNoGPT) {
				t.Errorf("after a refused Write, Read error = %v, want ErrNoGPT: nothing written", err)
			}
		})
	}
	// The last usable LBA itself is fine.
	lastUsable := with(3, func(p *Placed) { p.End = 4*GiB/512 - 34 })
	if err := checkFits(lastUsable, 4*GiB, 512); err != nil {
		t.Errorf("checkFits with the last usable LBA: %v", err)
	}
}

func TestWriteReadOnlyDisk(t *testing.T) {
	path := newImage(t, 4*GiB)
	d, err := diskfs.Open(path, diskfs.WithOpenMode(diskfs.ReadOnly))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	placed, err := Plan(DefaultLayout(Sizes{}), d.Size, d.LogicalBlocksize)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(d, placed); err == nil {
		t.Error("Write on a read-only disk succeeded")
	}
}

func TestReadNoGPT(t *testing.T) {
	_, err := Read(newImage(t, 4*GiB))
	if !errors.Is(err, ErrNoGPT) {
		t.Errorf("Read of a blank disk: error = %v, want ErrNoGPT", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.img")); err == nil || errors.Is(err, ErrNoGPT) {
		t.Errorf("Read of a missing file: error = %v, want a not-found error", err)
	}
}

// TestReadBackup: with the primary GPT header destroyed, Read still finds
// the partitions in the backup GPT.
func TestReadBackup(t *testing.T) {
	path := newImage(t, 4*GiB)
	written := writeDefault(t, path, 512, 1)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 512), 512); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if fmt.Sprint(got) != fmt.Sprint(written) {
		t.Errorf("Read =\n%+v\nwrote\n%+v", got, written)
	}
}
