// Package datasource finds the cloud-config init reads at boot and the SSH
// keys a cloud gives: a config drive (NoCloud cidata, OpenStack config-2),
// the EC2-style metadata service, or the URL or file that ros.cloud_config
// names.
package datasource

import (
	"encoding/binary"
	"io"
	"strings"
)

// Filesystem types Label reports, as blkid names them.
const (
	ISO9660 = "iso9660"
	VFAT    = "vfat"
)

// ISO 9660: the primary volume descriptor is the first descriptor, in the
// 2048-byte sector 16; its volume identifier is 32 space-padded bytes.
const (
	isoPVDOffset   = 16 * 2048
	isoLabelOffset = 40
	isoLabelLen    = 32
)

// fatLabelLen is the length of a FAT volume label, space-padded.
const fatLabelLen = 11

// Label returns the type of the filesystem r holds, ISO9660 or VFAT, and its
// label without padding; "" and "" when r holds neither or is too small.
func Label(r io.ReaderAt) (fstype, label string) {
	if label, ok := isoLabel(r); ok {
		return ISO9660, label
	}
	if label, ok := fatLabel(r); ok {
		return VFAT, label
	}
	return "", ""
}

// isoLabel returns the volume identifier of the ISO 9660 filesystem in r.
func isoLabel(r io.ReaderAt) (string, bool) {
	pvd := make([]byte, isoLabelOffset+isoLabelLen)
	if _, err := r.ReadAt(pvd, isoPVDOffset); err != nil {
		return "", false
	}
	if pvd[0] != 1 || string(pvd[1:6]) != "CD001" {
		return "", false
	}
	return trimLabel(pvd[isoLabelOffset:]), true
}

// fatLayout says where the FAT12/16 and the FAT32 boot sectors keep their
// extended boot signature, volume label and filesystem type string.
type fatLayout struct {
	sig, label, fstype int
	fstypes            []string
	fat32              bool
}

var fatLayouts = []fatLayout{
	{sig: 0x26, label: 0x2B, fstype: 0x36, fstypes: []string{"FAT12   ", "FAT16   ", "FAT     "}},
	{sig: 0x42, label: 0x47, fstype: 0x52, fstypes: []string{"FAT32   "}, fat32: true},
}

// fatLabel returns the label of the FAT filesystem in r: the root
// directory's volume-label entry when there is one (blkid prefers it), else
// the boot sector's label.
func fatLabel(r io.ReaderAt) (string, bool) {
	bs := make([]byte, 512)
	if _, err := r.ReadAt(bs, 0); err != nil {
		return "", false
	}
	for _, l := range fatLayouts {
		if !l.matches(bs) {
			continue
		}
		if label, ok := rootDirLabel(r, bs, l.fat32); ok {
			return label, true
		}
		return noName(trimLabel(bs[l.label : l.label+fatLabelLen])), true
	}
	return "", false
}

// matches says whether boot sector bs is laid out as l.
func (l fatLayout) matches(bs []byte) bool {
	if bs[l.sig] != 0x29 {
		return false
	}
	fstype := string(bs[l.fstype : l.fstype+8])
	for _, t := range l.fstypes {
		if fstype == t {
			return true
		}
	}
	return false
}

// maxRootScan bounds how much of the root directory rootDirLabel reads; the
// volume-label entry is normally the first.
const maxRootScan = 64 << 10

// rootDirLabel returns the volume-label entry of the root directory of the
// FAT filesystem whose boot sector is bs. For FAT32 it reads only the root
// directory's first cluster.
func rootDirLabel(r io.ReaderAt, bs []byte, fat32 bool) (string, bool) {
	off, size, ok := rootDir(bs, fat32)
	if !ok {
		return "", false
	}
	dir := make([]byte, min(size, maxRootScan))
	if _, err := r.ReadAt(dir, off); err != nil {
		return "", false
	}
	return volumeEntry(dir)
}

// rootDir returns where the root directory (for FAT32 its first cluster)
// of the FAT filesystem whose boot sector is bs starts and how long it is.
func rootDir(bs []byte, fat32 bool) (off, size int64, ok bool) {
	le := binary.LittleEndian
	sector := int64(le.Uint16(bs[0x0B:]))
	perCluster := int64(bs[0x0D])
	reserved := int64(le.Uint16(bs[0x0E:]))
	fats := int64(bs[0x10])
	if !validSector(sector) || !powerOfTwo(perCluster) {
		return 0, 0, false
	}
	if !fat32 {
		fatSize := int64(le.Uint16(bs[0x16:]))
		return (reserved + fats*fatSize) * sector, int64(le.Uint16(bs[0x11:])) * 32, true
	}
	data := (reserved + fats*int64(le.Uint32(bs[0x24:]))) * sector
	cluster := int64(le.Uint32(bs[0x2C:]))
	if cluster < 2 {
		return 0, 0, false
	}
	return data + (cluster-2)*perCluster*sector, perCluster * sector, true
}

func validSector(n int64) bool { return n >= 512 && n <= 4096 && powerOfTwo(n) }

func powerOfTwo(n int64) bool { return n > 0 && n&(n-1) == 0 }

// FAT directory entries: 32 bytes, the attribute byte at 11.
const (
	dirEntryLen  = 32
	attrVolumeID = 0x08
	attrLFN      = 0x0F
	entryFree    = 0xE5
)

// volumeEntry returns the name of the volume-label entry in directory dir.
func volumeEntry(dir []byte) (string, bool) {
	for e := dir; len(e) >= dirEntryLen; e = e[dirEntryLen:] {
		switch {
		case e[0] == 0:
			return "", false
		case e[0] == entryFree || e[11] == attrLFN:
			continue
		case e[11]&attrVolumeID != 0:
			return trimLabel(e[:fatLabelLen]), true
		}
	}
	return "", false
}

// noName maps the label mkfs.vfat writes when given none to "", as blkid does.
func noName(label string) string {
	if label == "NO NAME" {
		return ""
	}
	return label
}

func trimLabel(b []byte) string {
	return strings.TrimRight(string(b), " \x00")
}
