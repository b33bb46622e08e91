package datasource

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func TestLabel(t *testing.T) {
	tests := []struct {
		name      string
		img       []byte
		wantType  string
		wantLabel string
	}{
		{"iso9660", isoBytes("cidata"), ISO9660, "cidata"},
		{"iso9660 other label", isoBytes("CONFIG-2"), ISO9660, "CONFIG-2"},
		{"iso9660 no label", isoBytes(""), ISO9660, ""},
		{"iso9660 too small", isoBytes("cidata")[:isoPVDOffset+40], "", ""},
		{"fat12", fat16Bytes("FAT12   ", "CIDATA"), VFAT, "CIDATA"},
		{"fat16", fat16Bytes("FAT16   ", "cidata"), VFAT, "cidata"},
		{"fat generic type", fat16Bytes("FAT     ", "CIDATA"), VFAT, "CIDATA"},
		{"fat32", fat32Bytes("CIDATA"), VFAT, "CIDATA"},
		{"fat no name", fat16Bytes("FAT12   ", "NO NAME"), VFAT, ""},
		{"fat12 root dir label", withRootLabel16(fat16Bytes("FAT12   ", "NO NAME"), "CIDATA"), VFAT, "CIDATA"},
		{"fat32 root dir label", withRootLabel32(fat32Bytes("NO NAME"), "CIDATA"), VFAT, "CIDATA"},
		{"fat root dir without label", withRootLabel16(fat16Bytes("FAT16   ", "CIDATA"), ""), VFAT, "CIDATA"},
		{"fat without extended boot signature", noSignature(fat16Bytes("FAT16   ", "CIDATA")), "", ""},
		{"fat unknown type string", fat16Bytes("NTFS    ", "CIDATA"), "", ""},
		{"fat too small", fat16Bytes("FAT12   ", "CIDATA")[:300], "", ""},
		{"zeros", make([]byte, 64<<10), "", ""},
		{"garbage", garbage(64 << 10), "", ""},
		{"empty", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fstype, label := Label(bytes.NewReader(tt.img))
			if fstype != tt.wantType || label != tt.wantLabel {
				t.Errorf("Label() = %q, %q; want %q, %q", fstype, label, tt.wantType, tt.wantLabel)
			}
		})
	}
}

// TestLabelRootDirOnRealImages blanks the boot-sector label of images made by
// mkfs.vfat, so Label finds CIDATA only if it reads the root directory right.
func TestLabelRootDirOnRealImages(t *testing.T) {
	tests := []struct {
		name     string
		fatBits  int
		labelOff int
	}{
		{"fat12", 12, 0x2B},
		{"fat16", 16, 0x2B},
		{"fat32", 32, 0x47},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := buildFAT(t, filepath.Join(dir, tt.name), tt.fatBits, "CIDATA", nil)
			data, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			copy(data[tt.labelOff:], "NO NAME    ")
			if fstype, label := Label(bytes.NewReader(data)); fstype != VFAT || label != "CIDATA" {
				t.Errorf("Label() = %q, %q; want %q, %q", fstype, label, VFAT, "CIDATA")
			}
		})
	}
}

func pad(s string, n int) []byte {
	return append([]byte(s), bytes.Repeat([]byte{' '}, n-len(s))...)
}

// isoBytes returns the start of an ISO 9660 image, up to its primary volume
// descriptor, labelled label.
func isoBytes(label string) []byte {
	b := make([]byte, 16*2048+2048)
	pvd := b[16*2048:]
	pvd[0] = 1
	copy(pvd[1:], "CD001")
	pvd[6] = 1
	copy(pvd[40:], pad(label, 32))
	return b
}

// fat16Bytes returns a FAT12/16 boot sector with type string fstype and
// label, and no BPB, followed by zeros.
func fat16Bytes(fstype, label string) []byte {
	b := make([]byte, 64<<10)
	b[0x26] = 0x29
	copy(b[0x2B:], pad(label, 11))
	copy(b[0x36:], fstype)
	b[510], b[511] = 0x55, 0xAA
	return b
}

func fat32Bytes(label string) []byte {
	b := make([]byte, 64<<10)
	b[0x42] = 0x29
	copy(b[0x47:], pad(label, 11))
	copy(b[0x52:], "FAT32   ")
	b[510], b[511] = 0x55, 0xAA
	return b
}

func noSignature(b []byte) []byte {
	b[0x26] = 0
	return b
}

// bpb writes 512-byte sectors, 1 sector a cluster, reserved sectors and 2 FATs.
func bpb(b []byte, reserved uint16) {
	binary.LittleEndian.PutUint16(b[0x0B:], 512)
	b[0x0D] = 1
	binary.LittleEndian.PutUint16(b[0x0E:], reserved)
	b[0x10] = 2
}

// withRootLabel16 gives b a FAT12/16 root directory of 16 entries at sector
// 3 (1 reserved, 2 FATs of 1 sector) holding the volume-label entry label.
func withRootLabel16(b []byte, label string) []byte {
	bpb(b, 1)
	binary.LittleEndian.PutUint16(b[0x11:], 16)
	binary.LittleEndian.PutUint16(b[0x16:], 1)
	rootEntries(b[3*512:], label)
	return b
}

// withRootLabel32 gives b a FAT32 root directory in cluster 2, at sector 34
// (32 reserved, 2 FATs of 1 sector), holding the volume-label entry label.
func withRootLabel32(b []byte, label string) []byte {
	bpb(b, 32)
	binary.LittleEndian.PutUint32(b[0x24:], 1)
	binary.LittleEndian.PutUint32(b[0x2C:], 2)
	rootEntries(b[34*512:], label)
	return b
}

// rootEntries writes a deleted entry, a long-name entry (whose attribute
// includes the volume-label bit), a file and, unless label is "", a
// volume-label entry.
func rootEntries(dir []byte, label string) {
	entry := func(i int, name string, attr byte) {
		copy(dir[i*32:], pad(name, 11))
		dir[i*32+11] = attr
	}
	entry(0, "\xe5OLD    TXT", 0x20)
	entry(1, "Au\x00s\x00e\x00r\x00-\x00", 0x0F)
	entry(2, "USER-DATA", 0x20)
	if label != "" {
		entry(3, label, 0x08)
	}
}

func garbage(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}
