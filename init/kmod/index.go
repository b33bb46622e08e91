package kmod

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ErrNotFound means a module is neither in modules.dep, nor built in, nor
// an alias of a module that is.
var ErrNotFound = errors.New("module not found")

// Index is what depmod wrote for one kernel release.
type Index struct {
	Modules map[string]Module   // by module name
	Softdep map[string]Softdep  // by module name
	Builtin map[string]bool     // module names built into the kernel
	Alias   map[string][]string // exact aliases (no wildcards) to module names
}

// Module is one line of modules.dep.
type Module struct {
	File string   // relative to the modules directory, as modules.dep names it
	Deps []string // module names, as modules.dep lists them (load the last first)
}

// Softdep is one "softdep" line: modules (or aliases) to load before and
// after a module. Their failure is not fatal.
type Softdep struct {
	Pre, Post []string
}

// Name is the module name of a module file or a user-given name:
// "kernel/fs/nls/nls_iso8859-1.ko" and "nls-iso8859-1" are "nls_iso8859_1".
func Name(s string) string {
	s = path.Base(s)
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		s = strings.TrimSuffix(s, ext)
	}
	return strings.ReplaceAll(strings.TrimSuffix(s, ".ko"), "-", "_")
}

// ReadIndex reads modules.dep (required) and modules.softdep,
// modules.builtin and modules.alias (each optional) from dir.
func ReadIndex(dir string) (*Index, error) {
	ix := &Index{}
	var err error
	if ix.Modules, err = parseFile(dir, "modules.dep", ParseDep, true); err != nil {
		return nil, err
	}
	if ix.Softdep, err = parseFile(dir, "modules.softdep", ParseSoftdep, false); err != nil {
		return nil, err
	}
	if ix.Builtin, err = parseFile(dir, "modules.builtin", ParseBuiltin, false); err != nil {
		return nil, err
	}
	if ix.Alias, err = parseFile(dir, "modules.alias", ParseAlias, false); err != nil {
		return nil, err
	}
	return ix, nil
}

func parseFile[T any](dir, name string, parse func(io.Reader) (T, error), required bool) (T, error) {
	var zero T
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) && !required {
		return parse(strings.NewReader(""))
	}
	if err != nil {
		return zero, fmt.Errorf("reading %s: %w", name, err)
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return zero, fmt.Errorf("reading %s: %w", name, err)
	}
	return v, nil
}

// ParseDep parses modules.dep: "kernel/fs/vfat.ko: kernel/fs/fat.ko".
func ParseDep(r io.Reader) (map[string]Module, error) {
	mods := map[string]Module{}
	err := eachLine(r, func(line string) error {
		file, deps, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("malformed line %q", line)
		}
		m := Module{File: strings.TrimSpace(file)}
		for _, d := range strings.Fields(deps) {
			m.Deps = append(m.Deps, Name(d))
		}
		mods[Name(m.File)] = m
		return nil
	})
	return mods, err
}

// ParseSoftdep parses modules.softdep: "softdep ext4 pre: crc32c post: x".
func ParseSoftdep(r io.Reader) (map[string]Softdep, error) {
	soft := map[string]Softdep{}
	err := eachLine(r, func(line string) error {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "softdep" {
			return nil // modprobe.d syntax allows other commands; not ours
		}
		sd := soft[Name(f[1])]
		var list *[]string
		for _, w := range f[2:] {
			switch w {
			case "pre:":
				list = &sd.Pre
			case "post:":
				list = &sd.Post
			default:
				if list == nil {
					return fmt.Errorf("malformed line %q", line)
				}
				*list = append(*list, w)
			}
		}
		soft[Name(f[1])] = sd
		return nil
	})
	return soft, err
}

// ParseBuiltin parses modules.builtin: one module file per line.
func ParseBuiltin(r io.Reader) (map[string]bool, error) {
	b := map[string]bool{}
	err := eachLine(r, func(line string) error {
		b[Name(line)] = true
		return nil
	})
	return b, err
}

// ParseAlias parses modules.alias ("alias crc32c crc32c_generic"), keeping
// only exact aliases: wildcard ones match devices, not names.
func ParseAlias(r io.Reader) (map[string][]string, error) {
	a := map[string][]string{}
	err := eachLine(r, func(line string) error {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "alias" || strings.ContainsAny(f[1], "*?[") {
			return nil
		}
		a[f[1]] = append(a[f[1]], Name(f[2]))
		return nil
	})
	return a, err
}

// eachLine calls fn with every line that is neither blank nor a comment.
func eachLine(r io.Reader, fn func(string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	return sc.Err()
}
