package builder

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Pool is the set of unpacked packages files are taken from.
type Pool struct {
	Roots []string
}

// libDirs are searched, in order, for a DT_NEEDED soname.
var libDirs = []string{"lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib64", "lib", "usr/lib"}

// find returns the path of rel (a package path) in the first root holding it,
// under either its /usr or its top-level spelling.
func (p *Pool) find(rel string) (string, bool) {
	rel = strings.TrimPrefix(path.Clean("/"+rel), "/")
	alts := []string{rel, strings.TrimPrefix(rel, "usr/"), "usr/" + rel}
	for _, root := range p.Roots {
		for _, a := range alts {
			if Canon(a) != Canon(rel) {
				continue
			}
			if _, err := os.Lstat(filepath.Join(root, a)); err == nil {
				return filepath.Join(root, a), true
			}
		}
	}
	return "", false
}

// Take copies rel from the pool into the tree, following symlinks to their
// targets and ELF files to the shared libraries they need.
func (p *Pool) Take(t *Tree, rel string) error {
	if t.Has(rel) {
		return nil
	}
	src, ok := p.find(rel)
	if !ok {
		return fmt.Errorf("%w: no package provides /%s", ErrMissingFile, rel)
	}
	if err := t.CopyFile(src, rel); err != nil {
		return err
	}
	if target, err := os.Readlink(src); err == nil {
		return p.Take(t, resolveLink(rel, target))
	}
	return p.takeNeeded(t, src)
}

// ErrMissingFile marks a file the definition asks for that no package has.
var ErrMissingFile = errors.New("file not found")

func resolveLink(rel, target string) string {
	if path.IsAbs(target) {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return path.Join(path.Dir(rel), target)
}

// takeNeeded adds the interpreter and DT_NEEDED libraries of an ELF file.
func (p *Pool) takeNeeded(t *Tree, src string) error {
	needed, err := elfNeeds(src)
	if err != nil {
		return err
	}
	for _, n := range needed {
		if err := p.takeLib(t, n, src); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pool) takeLib(t *Tree, soname, by string) error {
	if path.IsAbs(soname) {
		return p.Take(t, soname)
	}
	for _, d := range libDirs {
		if _, ok := p.find(d + "/" + soname); ok {
			return p.Take(t, d+"/"+soname)
		}
	}
	return fmt.Errorf("%w: %s needs %s, which no package in the Depends closure has", ErrMissingFile, by, soname)
}

// elfNeeds lists the interpreter and DT_NEEDED entries of an ELF file; a file
// that is not ELF needs nothing.
func elfNeeds(file string) ([]string, error) {
	f, err := elf.Open(file)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading ELF %s: %w", file, err)
	}
	defer f.Close()
	var out []string
	if interp := f.Section(".interp"); interp != nil {
		b, err := interp.Data()
		if err != nil {
			return nil, fmt.Errorf("reading ELF %s: %w", file, err)
		}
		out = append(out, strings.TrimRight(string(b), "\x00"))
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil, fmt.Errorf("reading ELF %s: %w", file, err)
	}
	return append(out, libs...), nil
}

// Glob returns the package paths under root matching pattern, sorted.
func Glob(root, pattern string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(root, pattern))
	if err != nil {
		return nil, fmt.Errorf("matching %s: %w", pattern, err)
	}
	rels := make([]string, 0, len(matches))
	for _, m := range matches {
		rel, _ := filepath.Rel(root, m)
		rels = append(rels, filepath.ToSlash(rel))
	}
	return rels, nil
}
