package datasource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
)

// NoCloudLabel is the filesystem label of a NoCloud config drive, matched
// without regard to case.
const NoCloudLabel = "cidata"

// userDataFile is the file at the root of a config drive that FindNoCloud reads.
const userDataFile = "user-data"

// mtypeTimeout bounds reading user-data from a FAT config drive.
const mtypeTimeout = 10 * time.Second

// ErrNoUserData says a config drive has no user-data file at its root.
var ErrNoUserData = errors.New("no user-data file at its root")

// errPlainNames says an ISO has user-data only under its plain ISO 9660
// name, as genisoimage writes it without -joliet or -rock.
var errPlainNames = errors.New("only USER_DAT, its plain ISO 9660 name")

// FindNoCloud returns the first of devs that holds a filesystem labelled
// cidata, with the user-data file at its root. Devices that cannot be opened
// or are too small to hold a filesystem are skipped. It returns "" and no
// error when no device is a config drive, and the device with an error when
// the first config drive cannot be read.
func FindNoCloud(devs []string) (dev string, userData []byte, err error) {
	for _, dev := range devs {
		if fstype := probe(dev); fstype != "" {
			userData, err := readUserData(dev, fstype)
			return dev, userData, err
		}
	}
	return "", nil, nil
}

// probe returns the type of the filesystem on dev when it is labelled cidata.
func probe(dev string) string {
	f, err := os.Open(dev)
	if err != nil {
		return ""
	}
	defer f.Close()
	fstype, label := Label(f)
	if !strings.EqualFold(label, NoCloudLabel) {
		return ""
	}
	return fstype
}

// userDataReaders read user-data from a config drive by filesystem type.
var userDataReaders = map[string]func(dev string) ([]byte, error){
	ISO9660: readISO,
	VFAT:    readFAT,
}

func readUserData(dev, fstype string) ([]byte, error) {
	data, err := userDataReaders[fstype](dev)
	if err != nil {
		return nil, fmt.Errorf("reading %s from config drive %s (%s): %w: %s",
			userDataFile, dev, fstype, err, driveHint(err))
	}
	return data, nil
}

// driveHint says what to do about err, from reading a config drive.
func driveHint(err error) string {
	switch {
	case errors.Is(err, errPlainNames):
		return "rebuild the drive with genisoimage -joliet -rock"
	case errors.Is(err, ErrNoUserData):
		return "put a user-data file on the drive or remove the drive"
	case errors.Is(err, ErrTooLarge):
		return "make user-data smaller"
	case errors.Is(err, exec.ErrNotFound):
		return "install mtools"
	default:
		return "rebuild the drive (genisoimage -volid cidata -joliet -rock, or mkfs.vfat -n CIDATA) or remove it"
	}
}

// readISO reads user-data from the ISO 9660 filesystem on dev with
// go-diskfs. It calls iso9660.Read itself, with the 2048-byte blocks of
// nearly every ISO, because diskfs.Open would pass the device's sector size:
// an ISO on a 512-byte-sector disk such as /dev/vdb then reads as garbage.
// go-diskfs names files by their Rock Ridge names, else Joliet names, else
// plain ISO 9660 names (USER_DAT); user-data is found in the first two cases.
func readISO(dev string) ([]byte, error) {
	f, err := os.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fs, err := iso9660.Read(file.New(f, true), 0, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("reading iso9660 filesystem: %w", err)
	}
	uf, err := fs.Open(userDataFile)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, missingUserData(fs)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", userDataFile, err)
	}
	defer uf.Close()
	return readLimited(uf)
}

// missingUserData returns ErrNoUserData, noting when fs holds user-data
// under its plain ISO 9660 name.
func missingUserData(fs *iso9660.FileSystem) error {
	if _, err := fs.Stat("USER_DAT"); err == nil {
		return fmt.Errorf("%w, %w", ErrNoUserData, errPlainNames)
	}
	return ErrNoUserData
}

// readFAT reads user-data from the FAT12, FAT16 or FAT32 filesystem on dev
// with mtools' mtype, which matches the name without regard to case.
func readFAT(dev string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), mtypeTimeout)
	defer cancel()
	var stdout cappedBuffer
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "mtype", "-i", dev, "::"+userDataFile)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "LC_ALL=C")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	switch {
	case stdout.over:
		return nil, ErrTooLarge
	case ctx.Err() != nil:
		return nil, fmt.Errorf("running mtype: timed out after %s", mtypeTimeout)
	case err != nil && strings.Contains(stderr.String(), "not found"):
		return nil, ErrNoUserData
	case err != nil:
		return nil, fmt.Errorf("running mtype: %w%s", err, firstLine(stderr.String()))
	}
	return stdout.buf.Bytes(), nil
}

// cappedBuffer keeps up to MaxSize bytes and fails writes beyond them.
type cappedBuffer struct {
	buf  bytes.Buffer
	over bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > MaxSize {
		c.over = true
		return 0, ErrTooLarge
	}
	return c.buf.Write(p)
}

// firstLine returns ": " and the first line of s, or "" when s is blank.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if line == "" {
		return ""
	}
	return ": " + line
}
