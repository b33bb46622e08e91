package builder

import (
	"bufio"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Kernel is an unpacked kernel package.
type Kernel struct {
	Root    string // unpacked package
	Release string // e.g. 6.1.0-56-amd64
	mods    map[string]string
	builtin map[string]bool
}

// OpenKernel indexes the modules of an unpacked linux-image package.
func OpenKernel(root string) (*Kernel, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "lib/modules/*"))
	if err != nil || len(dirs) != 1 {
		return nil, fmt.Errorf("finding the kernel release in %s: want one lib/modules/* directory, found %d", root, len(dirs))
	}
	k := &Kernel{Root: root, Release: filepath.Base(dirs[0]), mods: map[string]string{}}
	err = filepath.WalkDir(dirs[0], func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".ko") {
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

func modName(p string) string {
	return strings.ReplaceAll(strings.TrimSuffix(filepath.Base(p), ".ko"), "-", "_")
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
	f, err := elf.Open(file)
	if err != nil {
		return nil, nil, fmt.Errorf("reading module %s: %w", file, err)
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, nil, nil
	}
	data, err := sec.Data()
	if err != nil {
		return nil, nil, fmt.Errorf("reading module %s: %w", file, err)
	}
	for _, kv := range strings.Split(string(data), "\x00") {
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

// Install copies module files into the tree under usr/lib/modules and runs
// depmod there so modprobe and init can resolve dependencies.
func (k *Kernel) Install(t *Tree, files []string, run func(string, ...string) ([]byte, error)) error {
	meta := []string{"modules.builtin", "modules.builtin.modinfo", "modules.order"}
	for _, m := range meta {
		files = append(files, filepath.Join("lib/modules", k.Release, m))
	}
	for _, f := range files {
		if err := t.CopyFile(filepath.Join(k.Root, f), f); err != nil {
			return err
		}
	}
	if _, err := run("depmod", "-b", filepath.Join(t.Dir, "usr"), k.Release); err != nil {
		return fmt.Errorf("running depmod: %w", err)
	}
	return nil
}
