package bootloader

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/diskfs/go-diskfs/filesystem"
	"golang.org/x/sys/unix"
)

const (
	// EntriesDir holds the type #1 entries, relative to the ESP root.
	EntriesDir = "loader/entries"
	// LoaderConfPath is systemd-boot's configuration, relative to the ESP root.
	LoaderConfPath = "loader/loader.conf"
)

var (
	// ErrNoEntry is returned by SetCounter when the ESP has no entry with
	// the id: the slot was never installed, or an earlier write of it
	// was interrupted (write the entry again).
	ErrNoEntry = errors.New("no boot loader entry")
	// ErrDuplicateEntry is returned by SetCounter when several files
	// hold entries with the id (ros never writes that; write the entry
	// again to clean up).
	ErrDuplicateEntry = errors.New("several boot loader entries with the same id")
)

// FS is what this package needs from the ESP. Names are io/fs style paths,
// slash-separated and relative to the ESP root ("loader/entries/ros-a.conf").
//
// A go-diskfs v1.9.4 FAT32 file system (*fat32.FileSystem) satisfies it as
// is; DirFS provides it for a mounted ESP. Mkdir creates missing parents
// and succeeds if the directory exists (go-diskfs's Mkdir does both).
// Rename replaces an existing newpath.
type FS interface {
	ReadDir(name string) ([]fs.DirEntry, error)
	OpenFile(name string, flag int) (filesystem.File, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	Mkdir(name string) error
}

// dirSyncer is an optional capability of an FS: make the renames and
// removals in a directory durable.
type dirSyncer interface {
	SyncDir(name string) error
}

// DirFS is the FS of an ESP mounted at root.
func DirFS(root string) FS { return dirFS(root) }

type dirFS string

func (d dirFS) path(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return filepath.Join(string(d), filepath.FromSlash(name)), nil
}

func (d dirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := d.path("readdir", name)
	if err != nil {
		return nil, err
	}
	return os.ReadDir(p)
}

func (d dirFS) OpenFile(name string, flag int) (filesystem.File, error) {
	p, err := d.path("open", name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, flag, 0o644)
	if err != nil {
		return nil, err // not a typed nil *os.File in the interface
	}
	return f, nil
}

func (d dirFS) Rename(oldpath, newpath string) error {
	o, err := d.path("rename", oldpath)
	if err != nil {
		return err
	}
	n, err := d.path("rename", newpath)
	if err != nil {
		return err
	}
	if err := os.Rename(o, n); err != nil {
		return err
	}
	return syncFile(n)
}

// syncFile fsyncs the file at p. After a rename Linux vfat writes the new
// directory entry with no first cluster and size 0 and fills them in when
// the inode is written back, up to 30 s later; fsync of the file writes
// its entry (measured in the guest: renames followed by a directory fsync
// were lost at a power cut 0 s later, with the file's fsync they were
// kept).
func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func (d dirFS) Remove(name string) error {
	p, err := d.path("remove", name)
	if err != nil {
		return err
	}
	return os.Remove(p)
}

func (d dirFS) Mkdir(name string) error {
	p, err := d.path("mkdir", name)
	if err != nil {
		return err
	}
	return os.MkdirAll(p, 0o755)
}

// SyncDir makes the renames and removals in the directory name durable.
// On Linux vfat fsync of a directory does not: a rename followed by one
// was gone after a power cut, measured in the guest. So it syncs the whole
// file system the directory is on (syncfs(2); an ESP holds a few files).
func (d dirFS) SyncDir(name string) error {
	p, err := d.path("sync", name)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Syncfs(int(f.Fd()))
}

// ReadEntries reads the type #1 entries of the ESP, sorted by file name.
// Like systemd-boot it skips directories, files that do not end in ".conf"
// or start with "." or "auto-" (so temporary files are ignored) and
// entries it would not boot (no linux or efi line: an empty file left by a
// torn write, say), so a stray file cannot block boot assessment. A file
// that cannot be read is an error.
func ReadEntries(fsys FS) ([]Entry, error) {
	des, err := fsys.ReadDir(EntriesDir)
	if err != nil {
		return nil, fmt.Errorf("reading boot entries: %w", err)
	}
	names := entryNames(des)
	entries := make([]Entry, 0, len(names))
	for _, name := range names {
		data, err := readFile(fsys, path.Join(EntriesDir, name))
		if err != nil {
			return nil, fmt.Errorf("reading boot entry %s: %w", name, err)
		}
		e, err := Parse(name, data)
		if err != nil {
			continue // systemd-boot skips it too
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// WriteEntry writes e to the ESP and removes any other file with e's id
// (the same slot under an older counter), so each id has one file.
//
// The new contents are written to "<id>.tmp" first, which systemd-boot
// ignores, and renamed to e.FileName() last, so a boot never sees a torn
// entry. If the id already has a file, that file is renamed to the
// temporary name and rewritten instead of removed: go-diskfs v1.9.4 does
// not free the clusters of removed or replaced files. An interrupted write
// leaves no entry for the id (the other slot boots) and never two; writing
// again finishes the job.
func WriteEntry(fsys FS, e Entry) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("writing boot entry: %w", err)
	}
	if err := fsys.Mkdir(EntriesDir); err != nil {
		return fmt.Errorf("writing boot entry %s: creating %s: %w", e.ID, EntriesDir, err)
	}
	olds, hasTmp, err := filesOf(fsys, e.ID)
	if err != nil {
		return fmt.Errorf("writing boot entry %s: %w", e.ID, err)
	}
	tmp := path.Join(EntriesDir, e.ID+".tmp")
	if err := replaceFile(fsys, tmp, hasTmp, olds, path.Join(EntriesDir, e.FileName()), e.Render()); err != nil {
		return fmt.Errorf("writing boot entry %s: %w", e.FileName(), err)
	}
	return nil
}

// WriteLoaderConf writes LoaderConf(timeout) to LoaderConfPath, the same way
// WriteEntry writes an entry.
func WriteLoaderConf(fsys FS, timeout int) error {
	dir := path.Dir(LoaderConfPath)
	if err := fsys.Mkdir(dir); err != nil {
		return fmt.Errorf("writing %s: creating %s: %w", LoaderConfPath, dir, err)
	}
	des, err := fsys.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("writing %s: %w", LoaderConfPath, err)
	}
	tmp := LoaderConfPath + ".tmp"
	var olds []string
	if has(des, path.Base(LoaderConfPath)) {
		olds = []string{LoaderConfPath}
	}
	if err := replaceFile(fsys, tmp, has(des, path.Base(tmp)), olds, LoaderConfPath, LoaderConf(timeout)); err != nil {
		return fmt.Errorf("writing %s: %w", LoaderConfPath, err)
	}
	return nil
}

// SetCounter renames the entry file of id so that its counter is c (nil:
// no counter, the entry is good). Renaming is all systemd-boot and
// systemd-bless-boot ever do to an entry; the contents are not touched.
func SetCounter(fsys FS, id string, c *Counter) error {
	if c != nil && (c.Left < 0 || c.Done < 0) {
		return fmt.Errorf("setting counter of %s to %+v: %w", id, *c, ErrInvalidEntry)
	}
	olds, _, err := filesOf(fsys, id)
	switch {
	case err != nil:
		return fmt.Errorf("setting counter of %s: %w", id, err)
	case len(olds) == 0:
		return fmt.Errorf("setting counter of %s: %w", id, ErrNoEntry)
	case len(olds) > 1:
		return fmt.Errorf("setting counter of %s: %v: %w", id, olds, ErrDuplicateEntry)
	}
	old := path.Base(olds[0])
	diskID, _, _ := ParseName(old) // keep the case of the name on disk
	name := Entry{ID: diskID, Counter: c}.FileName()
	if name == old {
		return nil
	}
	if err := fsys.Rename(olds[0], path.Join(EntriesDir, name)); err != nil {
		return fmt.Errorf("setting counter of %s: renaming %s to %s: %w", id, old, name, err)
	}
	return syncDir(fsys, EntriesDir)
}

// replaceFile writes data to final through tmp. The first of olds (the
// files final replaces, paths) is recycled as tmp unless tmp exists; the
// rest are removed before final appears.
func replaceFile(fsys FS, tmp string, hasTmp bool, olds []string, final string, data []byte) error {
	if !hasTmp && len(olds) > 0 {
		if err := fsys.Rename(olds[0], tmp); err != nil {
			return fmt.Errorf("renaming %s to %s: %w", olds[0], tmp, err)
		}
		olds = olds[1:]
	}
	for _, old := range olds {
		if err := fsys.Remove(old); err != nil {
			return fmt.Errorf("removing %s: %w", old, err)
		}
	}
	if err := writeFile(fsys, tmp, data); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := fsys.Rename(tmp, final); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", tmp, final, err)
	}
	return syncDir(fsys, path.Dir(final))
}

// filesOf lists the entry files of id (paths) and whether "<id>.tmp"
// exists. Names are compared case-insensitively, as on FAT.
func filesOf(fsys FS, id string) (olds []string, hasTmp bool, err error) {
	des, err := fsys.ReadDir(EntriesDir)
	if err != nil {
		return nil, false, err
	}
	for _, name := range entryNames(des) {
		if got, _, _ := ParseName(name); strings.EqualFold(got, id) {
			olds = append(olds, path.Join(EntriesDir, name))
		}
	}
	return olds, has(des, id+".tmp"), nil
}

// entryNames picks the files of a directory listing that systemd-boot
// reads as entries.
func entryNames(des []fs.DirEntry) []string {
	var names []string
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "auto-") {
			continue
		}
		if _, _, err := ParseName(name); err == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func has(des []fs.DirEntry, name string) bool {
	for _, de := range des {
		if strings.EqualFold(de.Name(), name) {
			return true
		}
	}
	return false
}

func readFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// writeFile creates or truncates name and writes data (writeFrom).
func writeFile(fsys FS, name string, data []byte) error {
	return writeFrom(fsys, name, bytes.NewReader(data))
}

func syncDir(fsys FS, dir string) error {
	if s, ok := fsys.(dirSyncer); ok {
		if err := s.SyncDir(dir); err != nil {
			return fmt.Errorf("syncing %s: %w", dir, err)
		}
	}
	return nil
}

// fsSyncer is an optional capability of an FS: flush the whole filesystem
// (the FAT and every file) to the disk.
type fsSyncer interface {
	Sync() error
}

// Sync makes everything written to the ESP so far durable, where the FS
// can (a mounted ESP: syncfs(2)).
func Sync(fsys FS) error {
	if s, ok := fsys.(fsSyncer); ok {
		if err := s.Sync(); err != nil {
			return fmt.Errorf("syncing the ESP: %w", err)
		}
	}
	return nil
}

// Sync flushes the filesystem the ESP is mounted on.
func (d dirFS) Sync() error {
	f, err := os.Open(string(d))
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// RemoveEntry removes every file of entry id, whatever its counter, and
// makes the removal durable: once it returns, no boot finds the entry.
func RemoveEntry(fsys FS, id string) error {
	olds, _, err := filesOf(fsys, id)
	if err != nil {
		return fmt.Errorf("removing boot entry %s: %w", id, err)
	}
	for _, old := range olds {
		if err := fsys.Remove(old); err != nil {
			return fmt.Errorf("removing boot entry %s: %w", path.Base(old), err)
		}
	}
	return syncDir(fsys, EntriesDir)
}

// WriteFile writes the contents of r to name on the ESP durably: to a
// temporary name, fsynced, renamed over name, the directory synced; then
// it reads name back, past the page cache where it can, and checks it has
// the sha256 of what was written. It returns that digest.
func WriteFile(fsys FS, name string, r io.Reader) (digest string, err error) {
	tmp := name + ".tmp"
	h := sha256.New()
	if err := writeFrom(fsys, tmp, io.TeeReader(r, h)); err != nil {
		_ = fsys.Remove(tmp)
		return "", fmt.Errorf("writing %s to the ESP: %w", name, err)
	}
	if err := fsys.Rename(tmp, name); err != nil {
		return "", fmt.Errorf("writing %s to the ESP: %w", name, err)
	}
	if err := syncDir(fsys, path.Dir(name)); err != nil {
		return "", fmt.Errorf("writing %s to the ESP: %w", name, err)
	}
	want := hex.EncodeToString(h.Sum(nil))
	got, err := digestOf(fsys, name)
	if err != nil {
		return "", fmt.Errorf("reading %s back from the ESP: %w", name, err)
	}
	if got != want {
		return "", fmt.Errorf("reading %s back from the ESP: %w: sha256:%s, wrote sha256:%s: the disk may be failing", name, ErrReadBack, got, want)
	}
	return want, nil
}

// ErrReadBack is returned when a file read back from the ESP is not what
// was written.
var ErrReadBack = errors.New("the ESP does not hold what was written")

// writeFrom creates or truncates name, copies r into it and fsyncs it. It
// opens with O_RDWR: go-diskfs v1.9.4 refuses writes to files opened O_WRONLY.
func writeFrom(fsys FS, name string, r io.Reader) (err error) {
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.CopyBuffer(f, r, make([]byte, 1<<20)); err != nil {
		return err
	}
	if s, ok := f.(interface{ Sync() error }); ok {
		return s.Sync()
	}
	return nil
}

// Digest is the sha256 (hex) of the file name, read from the disk.
func Digest(fsys FS, name string) (string, error) { return digestOf(fsys, name) }

// digestOf hashes the file name, dropping its cached pages first where the
// file is an *os.File, so the bytes come from the disk.
func digestOf(fsys FS, name string) (string, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if osf, ok := f.(*os.File); ok {
		_ = unix.Fadvise(int(osf.Fd()), 0, 0, unix.FADV_DONTNEED)
	}
	var r io.Reader = f
	if st, err := f.Stat(); err == nil {
		r = io.LimitReader(f, st.Size()) // go-diskfs v1.9.4 read 2624 bytes of a 2048-byte file mcopy wrote
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(h, r, make([]byte, 1<<20)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
