package builder

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Kernel is an unpacked kernel package.
type Kernel struct {
	Root    string // unpacked package
	Release string // e.g. 6.1.0-56-amd64
	dir     string // lib/modules/RELEASE or usr/lib/modules/RELEASE, relative to Root
	mods    map[string]string
	builtin map[string]bool
}

// Module file suffixes: plain, and compressed as Debian's kernels since
// 6.x ship them (the image holds them decompressed: its squashfs is not
// compressed, and its xz stream compresses them as well).
var moduleSuffixes = []string{".ko", ".ko.xz", ".ko.zst"}

// OpenKernel indexes the modules of an unpacked linux-image package, whose
// modules are under lib/modules (Debian 12) or usr/lib/modules (Debian 13).
func OpenKernel(root string) (*Kernel, error) {
	var dirs []string
	for _, pat := range []string{"lib/modules/*", "usr/lib/modules/*"} {
		d, _ := filepath.Glob(filepath.Join(root, pat))
		dirs = append(dirs, d...)
	}
	if len(dirs) != 1 {
		return nil, fmt.Errorf("finding the kernel release in %s: want one lib/modules/* or usr/lib/modules/* directory, found %d", root, len(dirs))
	}
	dir, _ := filepath.Rel(root, dirs[0])
	k := &Kernel{Root: root, Release: filepath.Base(dirs[0]), dir: dir, mods: map[string]string{}}
	err := filepath.WalkDir(dirs[0], func(p string, d fs.DirEntry, err error) error {
		if err == nil && isModule(p) {
			rel, _ := filepath.Rel(root, p)
			k.mods[modName(p)] = rel
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("indexing kernel modules: %w", err)
	}
	k.builtin, err = readBuiltin(filepath.Join(dirs[0], "modules.builtin"))
	return k, err
}

// Vmlinuz is the path of the kernel image.
func (k *Kernel) Vmlinuz() string {
	return filepath.Join(k.Root, "boot", "vmlinuz-"+k.Release)
}

// Config is the path of the kernel's build configuration (boot/config-*),
// which Docker's check-config.sh reads.
func (k *Kernel) Config() string {
	return filepath.Join(k.Root, "boot", "config-"+k.Release)
}

func isModule(p string) bool {
	for _, s := range moduleSuffixes {
		if strings.HasSuffix(p, s) {
			return true
		}
	}
	return false
}

// modName is the module name of a module file or modules.builtin line.
func modName(p string) string {
	base := filepath.Base(p)
	for _, s := range moduleSuffixes {
		base = strings.TrimSuffix(base, s)
	}
	return strings.ReplaceAll(base, "-", "_")
}

// readModule reads a module file, decompressed.
func readModule(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	switch {
	case strings.HasSuffix(file, ".ko.xz"):
		if r, err = xz.NewReader(f); err != nil {
			return nil, fmt.Errorf("decompressing %s: %w", file, err)
		}
	case strings.HasSuffix(file, ".ko.zst"):
		d, err := zstd.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("decompressing %s: %w", file, err)
		}
		defer d.Close()
		r = d
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decompressing %s: %w", file, err)
	}
	return data, nil
}

// plainName is a module file's path with its compression suffix dropped.
func plainName(rel string) string {
	for _, s := range moduleSuffixes[1:] {
		if strings.HasSuffix(rel, s) {
			return strings.TrimSuffix(rel, s) + ".ko"
		}
	}
	return rel
}

func readBuiltin(file string) (map[string]bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("reading modules.builtin: %w", err)
	}
	defer f.Close()
	b := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		b[modName(sc.Text())] = true
	}
	return b, sc.Err()
}

// Closure returns the module files (package paths) needed to load names,
// following "depends" and "softdep" from each module's .modinfo. Built-in
// modules need no file.
func (k *Kernel) Closure(names []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	var visit func(string, bool) error
	visit = func(n string, optional bool) error {
		n = strings.ReplaceAll(n, "-", "_")
		if seen[n] || k.builtin[n] {
			return nil
		}
		rel, ok := k.mods[n]
		switch {
		case !ok && optional:
			return nil // a softdep may name an alias (crc32c): the module list names the real one
		case !ok:
			return fmt.Errorf("%w: kernel %s has no module %q (check images/os.yaml)", ErrMissingFile, k.Release, n)
		}
		seen[n] = true
		files = append(files, rel)
		hard, soft, err := modDeps(filepath.Join(k.Root, rel))
		if err != nil {
			return err
		}
		for _, d := range hard {
			if err := visit(d, false); err != nil {
				return err
			}
		}
		for _, d := range soft {
			if err := visit(d, true); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range names {
		if err := visit(n, false); err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// modDeps reads the hard and soft dependencies from a module's .modinfo.
func modDeps(file string) (hard, soft []string, err error) {
	data, err := readModule(file)
	if err != nil {
		return nil, nil, fmt.Errorf("reading module %s: %w", file, err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("reading module %s: %w", file, err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, nil, nil
	}
	info, err := sec.Data()
	if err != nil {
		return nil, nil, fmt.Errorf("reading module %s: %w", file, err)
	}
	for _, kv := range strings.Split(string(info), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "depends":
			hard = append(hard, strings.FieldsFunc(v, func(r rune) bool { return r == ',' })...)
		case "softdep":
			soft = append(soft, softdeps(v)...)
		}
	}
	return hard, soft, nil
}

// softdeps parses "pre: a b post: c" into [a b c].
func softdeps(v string) []string {
	var out []string
	for _, w := range strings.Fields(v) {
		if !strings.HasSuffix(w, ":") {
			out = append(out, w)
		}
	}
	return out
}

// Install copies module files, decompressed, into the tree under
// usr/lib/modules and runs depmod there so modprobe and init can resolve
// dependencies.
func (k *Kernel) Install(t *Tree, files []string, run func(string, ...string) ([]byte, error)) error {
	for _, m := range []string{"modules.builtin", "modules.builtin.modinfo", "modules.order"} {
		if err := t.CopyFile(filepath.Join(k.Root, k.dir, m), filepath.Join(k.dir, m)); err != nil {
			return err
		}
	}
	for _, f := range files {
		data, err := readModule(filepath.Join(k.Root, f))
		if err != nil {
			return fmt.Errorf("copying module %s: %w", f, err)
		}
		if err := t.WriteFile(plainName(f), data, 0o644); err != nil {
			return err
		}
	}
	if _, err := run("depmod", "-b", filepath.Join(t.Dir, "usr"), k.Release); err != nil {
		return fmt.Errorf("running depmod: %w", err)
	}
	return nil
}
