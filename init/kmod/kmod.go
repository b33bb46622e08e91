// Package kmod loads kernel modules with their dependencies, as modprobe
// does, from the files depmod writes: modules.dep, modules.softdep (which
// busybox modprobe ignores: libcrc32c then fails without crc32c_generic),
// modules.builtin and modules.alias (exact aliases, for soft dependencies
// such as "crc32c").
//
// Parsing and planning are pure; inserting a module is one syscall,
// finit_module(2), behind WithInsert so tests need no kernel.
package kmod

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Loader loads modules from one modules directory, remembering what it
// loaded.
type Loader struct {
	dir    string
	ix     *Index
	insert func(file string) error
	logf   func(format string, a ...any)
	loaded map[string]bool
}

// Option configures a Loader.
type Option func(*Loader)

// WithInsert replaces finit_module(2): insert loads the module file at the
// given path. An error wrapping unix.EEXIST means "already loaded".
func WithInsert(insert func(file string) error) Option {
	return func(l *Loader) { l.insert = insert }
}

// WithLogf reports soft failures (an optional module that did not load).
// The default is silence.
func WithLogf(logf func(format string, a ...any)) Option {
	return func(l *Loader) { l.logf = logf }
}

// New reads the depmod files of dir, e.g. /usr/lib/modules/6.1.0-56-amd64.
func New(dir string, opts ...Option) (*Loader, error) {
	ix, err := ReadIndex(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the module index of %s: %w", dir, err)
	}
	l := &Loader{dir: dir, ix: ix, insert: finit, logf: func(string, ...any) {}, loaded: map[string]bool{}}
	for _, o := range opts {
		o(l)
	}
	return l, nil
}

// Load loads dir's modules names with their dependencies.
func Load(dir string, names ...string) error {
	l, err := New(dir)
	if err != nil {
		return err
	}
	return l.Load(names...)
}

// Load loads each module with its dependencies, each module once. A module
// that fails does not stop the others: Load returns all the failures.
func (l *Loader) Load(names ...string) error {
	var errs []error
	for _, n := range names {
		if err := l.load(n); err != nil {
			errs = append(errs, fmt.Errorf("loading module %s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

func (l *Loader) load(name string) error {
	steps, err := l.ix.Plan(name, l.loaded)
	if err != nil {
		return err
	}
	for _, s := range steps {
		err := l.insert(l.path(s.File))
		switch {
		case err == nil || errors.Is(err, unix.EEXIST):
			l.loaded[s.Name] = true
		case s.Optional:
			l.logf("kmod: optional module %s (for %s) did not load: %v", s.Name, name, err)
		default:
			return fmt.Errorf("inserting %s: %w", s.Name, err)
		}
	}
	return nil
}

// path is where a modules.dep file name lives; old depmods wrote absolute paths.
func (l *Loader) path(file string) string {
	if filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(l.dir, file)
}

// finit inserts a module file with finit_module(2), letting the kernel
// decompress .ko.xz/.ko.zst/.ko.gz files.
func finit(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	flags := 0
	if !strings.HasSuffix(file, ".ko") {
		flags = unix.MODULE_INIT_COMPRESSED_FILE
	}
	if err := unix.FinitModule(int(f.Fd()), "", flags); err != nil {
		return fmt.Errorf("finit_module %s: %w", file, err)
	}
	return nil
}

// Release is the running kernel's release (uname -r), the name of its
// modules directory.
func Release() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("reading the kernel release: %w", err)
	}
	return unix.ByteSliceToString(u.Release[:]), nil
}
