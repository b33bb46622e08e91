package builder

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Deb is one Debian package at an exact version.
type Deb struct {
	Name, Version, Arch, File string // File: the .deb's base name in the cache
}

// Errors users act on.
var (
	ErrNoPackage      = errors.New("package not found in the apt sources")
	ErrAptUnreachable = errors.New("apt cannot fetch packages")
)

// Apt fetches and unpacks Debian packages into a cache directory.
type Apt struct {
	Cache string // build/cache: debs/ and root/ live here
	Run   func(name string, args ...string) ([]byte, error)
	RunIn func(dir, name string, args ...string) ([]byte, error)
}

// NewApt returns an Apt that runs the real apt tools.
func NewApt(cache string) *Apt {
	return &Apt{Cache: cache, Run: runTool, RunIn: runToolIn}
}

func runTool(name string, args ...string) ([]byte, error) {
	return runToolIn("", name, args...)
}

func runToolIn(dir, name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, lastLine(stderr.String()))
	}
	return out, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// Closure returns the names of pkgs and everything they Depend/Pre-Depend on
// (first alternative of each "or"), sorted.
func (a *Apt) Closure(pkgs []string) ([]string, error) {
	args := append([]string{"depends", "--recurse", "--no-recommends", "--no-suggests",
		"--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
		"-o", "APT::Cache::ShowOnlyFirstOr=true"}, pkgs...)
	out, err := a.Run("apt-cache", args...)
	if err != nil {
		return nil, a.explain(pkgs, err)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "<") {
			continue
		}
		seen[line] = true
	}
	return sortedKeys(seen), nil
}

// explain turns apt's failure into ErrNoPackage when a name is unknown.
func (a *Apt) explain(pkgs []string, err error) error {
	for _, p := range pkgs {
		if _, perr := a.Run("apt-cache", "show", "--no-all-versions", p); perr != nil {
			return fmt.Errorf("%w: %q (check the name in images/os.yaml, or run apt-get update)", ErrNoPackage, p)
		}
	}
	return fmt.Errorf("asking apt about packages: %w", err)
}

// KernelPackage resolves a kernel metapackage to the package it depends on.
func (a *Apt) KernelPackage(meta string) (string, error) {
	out, err := a.Run("apt-cache", "depends", meta)
	if err != nil {
		return "", a.explain([]string{meta}, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		dep, ok := strings.CutPrefix(strings.TrimSpace(line), "Depends: ")
		if ok && strings.HasPrefix(dep, "linux-image-") {
			return dep, nil
		}
	}
	return "", fmt.Errorf("%w: %s depends on no linux-image-* package", ErrNoPackage, meta)
}

// Versions returns the candidate version of each package.
func (a *Apt) Versions(pkgs []string) ([]Deb, error) {
	out, err := a.Run("apt-cache", append([]string{"show", "--no-all-versions"}, pkgs...)...)
	if err != nil {
		return nil, a.explain(pkgs, err)
	}
	var debs []Deb
	for _, para := range strings.Split(string(out), "\n\n") {
		f := fields(para)
		if f["Package"] == "" {
			continue
		}
		d := Deb{Name: f["Package"], Version: f["Version"], Arch: f["Architecture"]}
		// apt-get download's file name: the epoch's ':' is escaped.
		d.File = d.Name + "_" + strings.ReplaceAll(d.Version, ":", "%3a") + "_" + d.Arch + ".deb"
		debs = append(debs, d)
	}
	sort.Slice(debs, func(i, j int) bool { return debs[i].Name < debs[j].Name })
	return debs, nil
}

func fields(para string) map[string]string {
	f := map[string]string{}
	for _, line := range strings.Split(para, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, " ") {
			f[k] = v
		}
	}
	return f
}

// Fetch downloads the debs missing from the cache and unpacks each into its
// own directory; it returns the unpacked roots in the order of debs.
func (a *Apt) Fetch(debs []Deb) ([]string, error) {
	dir := filepath.Join(a.Cache, "debs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating package cache: %w", err)
	}
	if err := a.download(dir, debs); err != nil {
		return nil, err
	}
	roots := make([]string, len(debs))
	for i, d := range debs {
		root, err := a.unpack(filepath.Join(dir, d.File))
		if err != nil {
			return nil, err
		}
		roots[i] = root
	}
	return roots, nil
}

func (a *Apt) download(dir string, debs []Deb) error {
	var want []string
	for _, d := range debs {
		if _, err := os.Stat(filepath.Join(dir, d.File)); err != nil {
			want = append(want, d.Name+"="+d.Version)
		}
	}
	if len(want) == 0 {
		return nil
	}
	if _, err := a.RunIn(dir, "apt-get", append([]string{"download", "-q"}, want...)...); err != nil {
		return fmt.Errorf("%w: downloading %d packages with apt-get failed (check the network and the apt sources, then run apt-get update): %v",
			ErrAptUnreachable, len(want), err)
	}
	return nil
}

// unpack extracts a .deb once into root/<name>; a partial extraction never
// takes that name, so an interrupted build starts the package over.
func (a *Apt) unpack(deb string) (string, error) {
	root := filepath.Join(a.Cache, "root", strings.TrimSuffix(filepath.Base(deb), ".deb"))
	if _, err := os.Stat(root); err == nil {
		return root, nil
	}
	tmp := root + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", deb, err)
	}
	if _, err := a.Run("dpkg-deb", "-x", deb, tmp); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", deb, err)
	}
	if err := os.Rename(tmp, root); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", deb, err)
	}
	return root, nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
