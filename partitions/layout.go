// Package partitions is the ros disk layout: the partitions as data
// (label, type GUID, size, attributes), pure functions that place them on a
// disk of a given size, and a thin edge that writes and reads the GPT with
// go-diskfs and opens one partition as an io.ReaderAt/io.WriterAt.
//
// A ros disk has four partitions, found by their GPT name (PARTLABEL),
// never by index or device name:
//
//	ros-esp     EFI System Partition (FAT32, systemd-boot)
//	ros-root-a  root slot A (a squashfs image)
//	ros-root-b  root slot B (a squashfs image)
//	ros-state   everything that survives an upgrade (ext4, rest of the disk)
//
// The same code works on a disk image file and on a block device.
package partitions

import "github.com/ros-os/ros/internal/slot"

// GPT names (PARTLABELs) of the ros partitions.
const (
	LabelESP   = "ros-esp"
	LabelRootA = "ros-root-a"
	LabelRootB = "ros-root-b"
	LabelState = "ros-state"

	// rootLabelPrefix + slot is the label of a root slot.
	rootLabelPrefix = "ros-root-"
)

// RootLabel returns the GPT name of a root slot: RootLabel(slot.A) is
// "ros-root-a".
func RootLabel(s slot.Slot) string {
	return rootLabelPrefix + string(s)
}

// Partition type GUIDs, upper case as go-diskfs and sgdisk print them.
const (
	// TypeESP is the EFI System Partition.
	TypeESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
	// TypeRootX86_64 is the Discoverable Partitions Specification
	// "Root Partition (x86-64)".
	TypeRootX86_64 = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
	// TypeLinuxData is "Linux filesystem data", the generic Linux type.
	TypeLinuxData = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
	// TypeVar is the DPS "Variable Data Partition" (/var). ros does not use
	// it for STATE; see DefaultLayout.
	TypeVar = "4D21B016-B534-45C2-A9FB-5C16E091FD2D"
)

// Partition attribute bits. Bits 0-2 are defined by UEFI for every
// partition; 59, 60 and 63 by the Discoverable Partitions Specification.
const (
	AttrRequired           uint64 = 1 << 0  // platform required: tools must keep it
	AttrNoBlockIOProtocol  uint64 = 1 << 1  // firmware must not read it
	AttrLegacyBIOSBootable uint64 = 1 << 2  // legacy BIOS bootable
	AttrGrowFS             uint64 = 1 << 59 // DPS: grow the file system to the partition
	AttrReadOnly           uint64 = 1 << 60 // DPS: mount read-only
	AttrNoAuto             uint64 = 1 << 63 // DPS: do not mount automatically
)

// Byte units.
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
	TiB int64 = 1 << 40
)

// Default sizes of DefaultLayout.
const (
	DefaultESPSize = 512 * MiB
	// DefaultSlotSize leaves room for root images several times today's
	// ~70 MB squashfs.
	DefaultSlotSize     = 1 * GiB
	DefaultMinStateSize = 256 * MiB
)

// Part is one partition of a Layout.
type Part struct {
	Name       string // GPT partition name, used as PARTLABEL
	Type       string // partition type GUID
	Size       int64  // bytes; 0 = rest of the disk (only for the last part)
	MinSize    int64  // bytes; the least a rest-of-disk part accepts
	Attributes uint64 // GPT attribute bits, see Attr*
}

// Layout is the list of partitions of a disk, in disk order. The index of a
// partition in the table follows this order, but nothing should depend on
// it: look partitions up by name with Find.
type Layout []Part

// Sizes are the sizes DefaultLayout uses; a zero field means its default.
type Sizes struct {
	ESP      int64 // size of ros-esp, default DefaultESPSize
	Slot     int64 // size of each root slot, default DefaultSlotSize
	MinState int64 // least size of ros-state, default DefaultMinStateSize
}

// DefaultLayout returns the ros layout with the given sizes.
//
// The root slots use the DPS "Root Partition (x86-64)" type so DPS-aware
// tools (systemd-dissect, sgdisk) describe them correctly, and carry the DPS
// read-only attribute, which is true of a squashfs.
//
// STATE uses the generic "Linux filesystem data" type, not the DPS
// "Variable Data Partition" (/var) type: STATE is not /var (it holds
// container data and configuration, and ros's init mounts it by label), and
// the DPS gives the /var type a meaning ros does not follow: it is mounted
// at /var, and only when its partition GUID is an HMAC of the machine ID.
// Claiming the /var type with a random GUID would tell DPS-aware tools
// something false.
func DefaultLayout(s Sizes) Layout {
	s = s.withDefaults()
	return Layout{
		{Name: LabelESP, Type: TypeESP, Size: s.ESP},
		{Name: LabelRootA, Type: TypeRootX86_64, Size: s.Slot, Attributes: AttrReadOnly},
		{Name: LabelRootB, Type: TypeRootX86_64, Size: s.Slot, Attributes: AttrReadOnly},
		{Name: LabelState, Type: TypeLinuxData, MinSize: s.MinState},
	}
}

func (s Sizes) withDefaults() Sizes {
	if s.ESP == 0 {
		s.ESP = DefaultESPSize
	}
	if s.Slot == 0 {
		s.Slot = DefaultSlotSize
	}
	if s.MinState == 0 {
		s.MinState = DefaultMinStateSize
	}
	return s
}
