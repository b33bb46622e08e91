package installer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/partitions"
)

// Refusals of OpenTarget. Each comes with one line that says what to do.
// A disk too small for the layout is a *partitions.DiskTooSmallError,
// matching partitions.ErrDiskTooSmall.
var (
	ErrNotFound = errors.New("no such device or file")
	ErrNotDisk  = errors.New("not a whole disk or an image file")
	ErrMounted  = errors.New("disk is in use by the system") // mounted, swap, or under LVM/RAID/dm
	ErrInUse    = errors.New("disk is open by another program")
	ErrHasData  = errors.New("disk holds data")
	ErrBadSize  = errors.New("wrong --size")
)

// imageSectorSize is the logical sector size of a disk image file.
const imageSectorSize = 512

// Target is the disk install writes to: a block device or an image file.
type Target struct {
	Path       string
	Size       int64 // bytes
	Block      bool  // a block device, else a regular file
	SectorSize int64 // logical sector size: the kernel's for a device, 512 for a file
}

// OpenTarget checks that install may write to path and returns what it
// will write to. It refuses, before writing anything, a path that is not a
// whole disk or an image file, a disk in use, a disk smaller than minSize
// bytes (partitions.MinDiskSize), and unless force a disk that already
// holds a partition table or a file system.
//
// A size > 0 is for an image file: OpenTarget creates it sparse with that
// size if it is missing, or grows it to that size, last of all. It never
// shrinks one.
//
// A block device is opened exclusively only while it is checked: the
// kernel must be free to re-read its partition table afterwards.
func OpenTarget(path string, size, minSize int64, force bool) (*Target, error) {
	if size < 0 {
		return nil, refuse(ErrBadSize, "--size %d is negative: give a size such as --size 4G", size)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && size == 0:
		return nil, refuse(ErrNotFound, "%s: no such device or file; to install into a new image file give --size, e.g. --size 4G", path)
	case errors.Is(err, fs.ErrNotExist):
		return createImage(path, size, minSize)
	case err != nil:
		return nil, fmt.Errorf("checking %s: %w", path, err)
	case fi.Mode().IsRegular():
		return openImage(path, fi.Size(), size, minSize, force)
	case fi.Mode()&fs.ModeType == fs.ModeDevice: // a block device
		return openDevice(procsys.Host, path, fi, size, minSize, force)
	}
	return nil, notDisk(path, fi.Mode())
}

func notDisk(path string, mode fs.FileMode) error {
	what := "not a disk or an image file"
	switch {
	case mode.IsDir():
		what = "a directory"
	case mode&fs.ModeCharDevice != 0:
		what = "a character device, not a block device"
	}
	return refuse(ErrNotDisk, "%s is %s: give a whole disk such as /dev/vda or an image file such as ros.img", path, what)
}

// createImage creates a sparse image file of size bytes.
func createImage(path string, size, minSize int64) (*Target, error) {
	if size < minSize {
		return nil, tooSmall(path, size, minSize)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating image %s: %w", path, err)
	}
	err = f.Truncate(size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("creating image %s: %w", path, err)
	}
	return &Target{Path: path, Size: size, SectorSize: imageSectorSize}, nil
}

// openImage checks the image file at path, have bytes long, and grows it to
// size if that is bigger.
func openImage(path string, have, size, minSize int64, force bool) (*Target, error) {
	if size > 0 && size < have {
		return nil, refuse(ErrBadSize, "%s is %d bytes, --size %d would shrink it: ros never shrinks an image; leave out --size or give at least its size",
			path, have, size)
	}
	t := &Target{Path: path, Size: max(have, size), SectorSize: imageSectorSize}
	if t.Size < minSize {
		return nil, tooSmall(path, t.Size, minSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = checkEmpty(path, f, have, force)
	f.Close()
	if err != nil {
		return nil, err
	}
	if size > have {
		if err := os.Truncate(path, size); err != nil {
			return nil, fmt.Errorf("growing image %s: %w", path, err)
		}
	}
	return t, nil
}

func tooSmall(path string, size, minSize int64) error {
	return fmt.Errorf("%s: %w", path, &partitions.DiskTooSmallError{Size: size, Min: minSize})
}

// openDevice checks the block device at path, asking sys how the kernel
// uses it, and opens it exclusively while it reads its size and header.
func openDevice(sys procsys.FS, path string, fi fs.FileInfo, size, minSize int64, force bool) (*Target, error) {
	if size > 0 {
		return nil, refuse(ErrBadSize, "%s is a block device: leave out --size, it is for image files", path)
	}
	dev := uint64(fi.Sys().(*syscall.Stat_t).Rdev)
	if err := checkWholeDisk(sys, path, dev); err != nil {
		return nil, err
	}
	if err := checkUnused(sys, path, dev); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_EXCL, 0)
	if errors.Is(err, unix.EBUSY) {
		return nil, refuse(ErrInUse, "%s is open by another program (a VM, another install?): close it first", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	t, err := deviceTarget(path, f)
	if err != nil {
		return nil, err
	}
	if t.Size < minSize {
		return nil, tooSmall(path, t.Size, minSize)
	}
	if err := checkEmpty(path, f, t.Size, force); err != nil {
		return nil, err
	}
	return t, nil
}

// deviceTarget asks the kernel for the size and the sector size of the
// block device f.
func deviceTarget(path string, f *os.File) (*Target, error) {
	fd := int(f.Fd())
	size, err := unix.IoctlGetUint64(fd, unix.BLKGETSIZE64)
	if err != nil {
		return nil, fmt.Errorf("getting the size of %s: %w", path, err)
	}
	ss, err := unix.IoctlGetInt(fd, unix.BLKSSZGET)
	if err != nil {
		return nil, fmt.Errorf("getting the sector size of %s: %w", path, err)
	}
	return &Target{Path: path, Size: int64(size), Block: true, SectorSize: int64(ss)}, nil
}

// checkWholeDisk refuses a partition. Without sysfs it cannot tell and
// lets the device pass.
func checkWholeDisk(sys procsys.FS, path string, dev uint64) error {
	disk, ok := sys.PartitionOf(dev)
	switch {
	case !ok:
		return nil
	case disk.Name == "":
		return refuse(ErrNotDisk, "%s is a partition: give the whole disk", path)
	}
	return refuse(ErrNotDisk, "%s is a partition: give the whole disk, e.g. %s", path, disk.Path())
}

// checkUnused refuses a disk that is, or has a partition that is, mounted,
// used as swap, or held by another block device (LVM, RAID, dm-crypt).
// Opening it exclusively would catch these too, but not say which.
func checkUnused(sys procsys.FS, path string, dev uint64) error {
	fam := sys.Family(dev)
	if fam == nil {
		fam = map[uint64]procsys.BlockDev{dev: {Name: filepath.Base(path)}}
	}
	who := func(d uint64) string {
		if d == dev {
			return path
		}
		return fmt.Sprintf("partition %s of %s", fam[d].Path(), path)
	}
	if m, err := findMount(sys, fam); err != nil {
		return err
	} else if m != nil && m.Point == contract.LiveMedium {
		return refuse(ErrMounted, "%s is the live medium ros is running from: install onto another disk (sudo ros install with no -d lists them)", who(m.Dev))
	} else if m != nil {
		return refuse(ErrMounted, "%s is mounted on %s: unmount it first", who(m.Dev), m.Point)
	}
	if d, err := findSwap(sys, fam); err != nil {
		return err
	} else if d != 0 {
		return refuse(ErrMounted, "%s is used as swap: swapoff %s first", who(d), fam[d].Path())
	}
	for d, b := range fam {
		if holders := b.Holders(); len(holders) > 0 {
			return refuse(ErrMounted, "%s is held by %s (LVM, RAID or dm-crypt): stop that first", who(d), strings.Join(holders, ", "))
		}
	}
	return nil
}

// findMount returns the first mount of a device of fam, its Dev set to
// that device, or nil.
func findMount(sys procsys.FS, fam map[uint64]procsys.BlockDev) (*procsys.Mount, error) {
	mounts, err := sys.Mounts()
	if err != nil {
		return nil, fmt.Errorf("checking mounts: %w", err)
	}
	for _, m := range mounts {
		if _, ok := fam[m.Dev]; ok {
			return &m, nil
		}
		// btrfs shows an anonymous st_dev: match its source device.
		if !strings.HasPrefix(m.Source, "/dev/") {
			continue
		}
		if d := rdevOf(m.Source); fam[d].Name != "" {
			m.Dev = d
			return &m, nil
		}
	}
	return nil, nil
}

// findSwap returns the device of fam used as swap, or 0.
func findSwap(sys procsys.FS, fam map[uint64]procsys.BlockDev) (uint64, error) {
	files, err := sys.Swaps()
	if err != nil {
		return 0, fmt.Errorf("checking swap: %w", err)
	}
	for _, name := range files {
		if d := rdevOf(name); fam[d].Name != "" {
			return d, nil
		}
	}
	return 0, nil
}

// rdevOf returns the device number of the block device at path, or
// 0 (no device) if it is not one.
func rdevOf(path string) uint64 {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0
	}
	return st.Rdev
}

// magicSig is a magic string at an offset that shows a disk holds a
// partition table or a file system.
type magicSig struct {
	offset int64
	magic  string
	what   string // completes "DISK holds ..."
}

// signatures are checked in order; the first match names what the disk
// holds. Those that also carry an MBR boot signature (GPT's protective MBR,
// FAT, NTFS) come before the MBR.
var signatures = []magicSig{
	{512, "EFI PART", "a GPT partition table"},
	{4096, "EFI PART", "a GPT partition table"}, // 4096-byte sectors
	{0, "LUKS\xba\xbe", "a LUKS encrypted volume"},
	{512, "LABELONE", "an LVM physical volume"},
	{0, "hsqs", "a squashfs file system"},
	{0, "XFSB", "an XFS file system"},
	{65600, "_BHRfS_M", "a btrfs file system"},
	{1080, "\x53\xef", "an ext2/3/4 file system"},
	{4096 - 10, "SWAPSPACE2", "a swap area"},
	{65536 - 10, "SWAPSPACE2", "a swap area"}, // made with 64 KiB pages
	{32769, "CD001", "an ISO 9660 file system"},
	{3, "NTFS    ", "an NTFS file system"},
	{3, "EXFAT   ", "an exFAT file system"},
	{82, "FAT", "a FAT file system"}, // FAT32
	{54, "FAT", "a FAT file system"}, // FAT12, FAT16
	{510, "\x55\xaa", "an MBR partition table"},
}

// headerSize is how much of a disk the signatures need.
func headerSize() int64 {
	var n int64
	for _, s := range signatures {
		n = max(n, s.offset+int64(len(s.magic)))
	}
	return n
}

// sniff returns what header, the start of a disk, shows the disk holds,
// or "" if nothing.
func sniff(header []byte) string {
	for _, s := range signatures {
		end := s.offset + int64(len(s.magic))
		if end <= int64(len(header)) && string(header[s.offset:end]) == s.magic {
			return s.what
		}
	}
	return ""
}

// checkEmpty refuses, unless force, a disk of size bytes that holds a
// partition table or a file system.
func checkEmpty(path string, r io.ReaderAt, size int64, force bool) error {
	if force {
		return nil
	}
	header := make([]byte, min(headerSize(), size))
	if _, err := r.ReadAt(header, 0); err != nil && err != io.EOF {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if what := sniff(header); what != "" {
		return refuse(ErrHasData, "%s holds %s: use --force to overwrite it (everything on it is lost)", path, what)
	}
	return nil
}

// refusal is an error the user acts on: msg is the whole one-line message,
// kind the sentinel it matches.
type refusal struct {
	kind error
	msg  string
}

func refuse(kind error, format string, a ...any) error {
	return &refusal{kind: kind, msg: fmt.Sprintf(format, a...)}
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.kind }
