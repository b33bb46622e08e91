package datasource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
)

// Data is what a datasource gives: user-data (nil when there is none) and
// the SSH public keys of the instance's metadata.
type Data struct {
	Name     string // where it came from, e.g. "cidata:/dev/vdb"; "" when nothing was found
	UserData []byte
	Keys     []string
}

// Labels of the config drives FindDrive reads, matched without regard to
// case: NoCloud's and the OpenStack config drive's.
const (
	NoCloudLabel   = "cidata"
	OpenStackLabel = "config-2"
)

// Files FindDrive reads: NoCloud's user-data at the root, and the OpenStack
// config drive's user_data and meta_data.json under openstack/latest.
const (
	userDataFile      = "user-data"
	openStackUserData = "openstack/latest/user_data"
	openStackMetaData = "openstack/latest/meta_data.json"
)

// mtypeTimeout bounds reading a file from a FAT config drive.
const mtypeTimeout = 10 * time.Second

// ErrNoUserData says a NoCloud drive has no user-data file at its root.
var ErrNoUserData = errors.New("no user-data file at its root")

// errPlainNames says an ISO has a file only under its plain ISO 9660
// name, as genisoimage writes it without -joliet or -rock.
var errPlainNames = errors.New("only its plain ISO 9660 name")

// FindDrive returns what the first of devs that is a config drive (a
// filesystem labelled cidata or config-2) holds. Devices that cannot be
// opened or are too small to hold a filesystem are skipped. It returns a
// Data without a Name and no error when no device is a config drive, and an
// error naming the device when the first config drive cannot be read.
func FindDrive(devs []string) (Data, error) {
	for _, dev := range devs {
		fstype, label := probe(dev)
		switch {
		case strings.EqualFold(label, NoCloudLabel):
			return readNoCloud(dev, fstype)
		case strings.EqualFold(label, OpenStackLabel):
			return readOpenStack(dev, fstype)
		}
	}
	return Data{}, nil
}

// probe returns the type and label of the filesystem on dev.
func probe(dev string) (fstype, label string) {
	f, err := os.Open(dev)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	return Label(f)
}

// fileReaders read a file from a config drive by filesystem type; a file
// that is not there gives an error that is iofs.ErrNotExist.
var fileReaders = map[string]func(dev, name string) ([]byte, error){
	ISO9660: readISO,
	VFAT:    readFAT,
}

func readNoCloud(dev, fstype string) (Data, error) {
	data, err := fileReaders[fstype](dev, userDataFile)
	switch {
	case errors.Is(err, errPlainNames):
		err = fmt.Errorf("%w, %w", ErrNoUserData, errPlainNames)
	case errors.Is(err, iofs.ErrNotExist):
		err = ErrNoUserData
	}
	if err != nil {
		return Data{}, fmt.Errorf("reading %s from config drive %s (%s): %w: %s",
			userDataFile, dev, fstype, err, driveHint(err))
	}
	return Data{Name: NoCloudLabel + ":" + dev + " " + userDataFile, UserData: data}, nil
}

// readOpenStack reads an OpenStack config drive: its user_data, when there
// is one, and the public_keys of its meta_data.json.
func readOpenStack(dev, fstype string) (Data, error) {
	d := Data{Name: OpenStackLabel + ":" + dev}
	fail := func(name string, err error) (Data, error) {
		return Data{}, fmt.Errorf("reading %s from config drive %s (%s): %w: %s", name, dev, fstype, err, driveHint(err))
	}
	meta, err := fileReaders[fstype](dev, openStackMetaData)
	switch {
	case errors.Is(err, iofs.ErrNotExist):
	case err != nil:
		return fail(openStackMetaData, err)
	default:
		if d.Keys, err = openStackKeys(meta); err != nil {
			return fail(openStackMetaData, err)
		}
	}
	ud, err := fileReaders[fstype](dev, openStackUserData)
	switch {
	case errors.Is(err, iofs.ErrNotExist):
	case err != nil:
		return fail(openStackUserData, err)
	default:
		d.UserData = ud
	}
	return d, nil
}

// openStackKeys returns the public_keys of an OpenStack meta_data.json, in
// the order of their names.
func openStackKeys(meta []byte) ([]string, error) {
	var m struct {
		PublicKeys map[string]string `json:"public_keys"`
	}
	if err := json.Unmarshal(meta, &m); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	names := make([]string, 0, len(m.PublicKeys))
	for n := range m.PublicKeys {
		names = append(names, n)
	}
	sort.Strings(names)
	keys := make([]string, 0, len(names))
	for _, n := range names {
		if k := strings.TrimSpace(m.PublicKeys[n]); k != "" {
			keys = append(keys, k)
		}
	}
	return keys, nil
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

// readISO reads the file name from the ISO 9660 filesystem on dev with
// go-diskfs. It calls iso9660.Read itself, with the 2048-byte blocks of
// nearly every ISO, because diskfs.Open would pass the device's sector size:
// an ISO on a 512-byte-sector disk such as /dev/vdb then reads as garbage.
// go-diskfs names files by their Rock Ridge names, else Joliet names, else
// plain ISO 9660 names (USER_DAT); name is found in the first two cases.
func readISO(dev, name string) ([]byte, error) {
	f, err := os.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fs, err := iso9660.Read(file.New(f, true), 0, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("reading iso9660 filesystem: %w", err)
	}
	uf, err := fs.Open(name)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, missingFile(fs, name)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	defer uf.Close()
	return readLimited(uf)
}

// missingFile returns iofs.ErrNotExist, noting when fs holds name under its
// plain ISO 9660 name (USER_DAT for user-data).
func missingFile(fs *iso9660.FileSystem, name string) error {
	if _, err := fs.Stat(plainISOName(name)); err == nil {
		return fmt.Errorf("%w, %w", iofs.ErrNotExist, errPlainNames)
	}
	return iofs.ErrNotExist
}

// plainISOName is name as genisoimage writes it without -joliet or -rock:
// upper case, 8.3, "-" as "_".
func plainISOName(name string) string {
	dir, base := path.Split(name)
	stem, ext, _ := strings.Cut(base, ".")
	stem = strings.ReplaceAll(strings.ToUpper(stem), "-", "_")
	if len(stem) > 8 {
		stem = stem[:8]
	}
	if len(ext) > 3 {
		ext = ext[:3]
	}
	if ext != "" {
		stem += "." + strings.ToUpper(ext)
	}
	return strings.ToUpper(dir) + stem
}

// readFAT reads the file name from the FAT12, FAT16 or FAT32 filesystem on
// dev with mtools' mtype, which matches the name without regard to case.
func readFAT(dev, name string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), mtypeTimeout)
	defer cancel()
	var stdout cappedBuffer
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "mtype", "-i", dev, "::"+name)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "LC_ALL=C")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	switch {
	case stdout.over:
		return nil, ErrTooLarge
	case ctx.Err() != nil:
		return nil, fmt.Errorf("running mtype: timed out after %s", mtypeTimeout)
	case err != nil && strings.Contains(stderr.String(), "not found"):
		return nil, iofs.ErrNotExist
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
