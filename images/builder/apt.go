package builder

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Deb is one Debian package at an exact version.
type Deb struct {
	Name, Version, Arch, File string // File: the .deb's base name in the cache
}

// Errors users act on.
var (
	ErrNoPackage      = errors.New("package not found")
	ErrNoSuite        = errors.New("suite or component not on the mirror")
	ErrAptUnreachable = errors.New("cannot reach the Debian mirror")
)

// MaxListAge is how old the package lists may get before a build fetches
// them again.
const MaxListAge = 24 * time.Hour

// Source is where the image's packages come from: one suite of a Debian
// mirror, for one architecture, with its updates and security pockets.
type Source struct {
	Mirror
	Suite      string
	Components []string
	Arch       string
	Updates    bool   // SUITE-updates on the mirror
	Security   string // the security archive's URI for SUITE-security; "": none
}

// SourcesList is the builder's sources.list: the suite, then its updates
// and security pockets, so the image gets Debian's stable fixes.
func (s Source) SourcesList() string {
	line := func(uri, suite string) string {
		return fmt.Sprintf("deb [arch=%s signed-by=%s] %s %s %s\n", s.Arch, s.Keyring, uri, suite, strings.Join(s.Components, " "))
	}
	out := line(s.URI, s.Suite)
	if s.Updates {
		out += line(s.URI, s.Suite+"-updates")
	}
	if s.Security != "" {
		out += line(s.Security, s.Suite+"-security")
	}
	return out
}

func (s Source) String() string {
	return fmt.Sprintf("%s %s at %s", s.Suite, strings.Join(s.Components, " "), s.URI)
}

// Apt fetches and unpacks Debian packages into a cache directory. It has its
// own apt configuration under Cache/apt/SUITE (sources.list, lists, cache)
// and never reads or writes the host's: see Options.
type Apt struct {
	Cache  string // build/cache: apt/SUITE, debs/ and root/ live here
	Source Source
	Run    func(name string, args ...string) ([]byte, error)
	RunIn  func(dir, name string, args ...string) ([]byte, error)
	Logf   func(format string, a ...any) // nil: silent
	Now    func() time.Time              // nil: time.Now
}

// NewApt returns an Apt that runs the real tools. Their environment names
// the builder's apt.conf in APT_CONFIG: apt reads it instead of the host's
// apt.conf and apt.conf.d (hooks, pins, proxies, index targets).
func NewApt(cache string, src Source) *Apt {
	a := &Apt{Cache: cache, Source: src}
	env := append(os.Environ(), "APT_CONFIG="+a.path("apt.conf"), "LC_ALL=C")
	a.Run = func(name string, args ...string) ([]byte, error) { return runToolEnv("", env, name, args...) }
	a.RunIn = func(dir, name string, args ...string) ([]byte, error) { return runToolEnv(dir, env, name, args...) }
	return a
}

// Dir is the builder's apt directory for the suite (absolute: apt-get
// download runs in another directory).
func (a *Apt) Dir() string {
	abs, err := filepath.Abs(a.Cache)
	if err != nil {
		abs = a.Cache
	}
	return filepath.Join(abs, "apt", a.Source.Suite)
}

func (a *Apt) path(name ...string) string {
	return filepath.Join(append([]string{a.Dir()}, name...)...)
}

// Options go to every apt-get and apt-cache call: the builder's sources,
// lists and cache instead of the host's; no sources.list.d, no pins
// (preferences, Default-Release), no installed packages (dpkg status); the
// image's architecture only; downloads as root into the builder's own
// directories (no _apt sandbox); no translations.
func (a *Apt) Options() []string {
	arch := a.Source.Arch
	var opts []string
	for _, o := range []string{
		"Dir::Etc::SourceList=" + a.path("sources.list"),
		"Dir::Etc::SourceParts=/dev/null",
		"Dir::Etc::Preferences=/dev/null",
		"Dir::Etc::PreferencesParts=/dev/null",
		"Dir::State=" + a.Dir(),
		"Dir::State::Lists=" + a.path("lists"),
		"Dir::State::status=/dev/null",
		"Dir::Cache=" + a.path("cache"),
		"APT::Default-Release=",
		"APT::Architecture=" + arch,
		"APT::Architectures=" + arch,
		"APT::Sandbox::User=root",
		"Acquire::Languages=none",
	} {
		opts = append(opts, "-o", o)
	}
	return opts
}

// aptConf is the builder's apt.conf (APT_CONFIG): it turns off the host's.
const aptConf = `// Written by the ros image builder: apt reads no other configuration file.
Dir::Etc::Main "/dev/null";
Dir::Etc::Parts "/dev/null";
`

func (a *Apt) aptCache(args ...string) ([]byte, error) {
	return a.Run("apt-cache", append(a.Options(), args...)...)
}

func (a *Apt) aptGet(dir string, args ...string) ([]byte, error) {
	return a.RunIn(dir, "apt-get", append(a.Options(), args...)...)
}

func (a *Apt) logf(format string, args ...any) {
	if a.Logf != nil {
		a.Logf(format, args...)
	}
}

func (a *Apt) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Update writes the builder's apt configuration and fetches the package
// lists (apt-get update) when they are missing, older than MaxListAge, or
// were fetched for other sources.
func (a *Apt) Update() error {
	src := a.Source.SourcesList()
	if err := a.writeConfig(src); err != nil {
		return err
	}
	stamp := a.path("updated")
	var last []byte
	var at time.Time
	if fi, err := os.Stat(stamp); err == nil {
		last, _ = os.ReadFile(stamp)
		at = fi.ModTime()
	}
	why := listsStale(last, at, src, len(a.missingComponents()) == 0, a.now())
	if why == "" {
		return nil
	}
	a.logf("package lists of %s %s: apt-get update", a.Source, why)
	start := a.now()
	if _, err := a.aptGet("", "-q", "update", "--error-on=any"); err != nil {
		return a.updateError(err)
	}
	if missing := a.missingComponents(); len(missing) > 0 {
		return fmt.Errorf("%w: %s has no component %s for %s at %s (check components in images/os.yaml)",
			ErrNoSuite, a.Source.Suite, strings.Join(missing, ", "), a.Source.Arch, a.Source.URI)
	}
	a.logf("apt-get update of %s took %s", a.Source.Suite, a.now().Sub(start).Round(100*time.Millisecond))
	if err := os.WriteFile(stamp, []byte(src), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", stamp, err)
	}
	return nil
}

// writeConfig lays out Cache/apt/SUITE: apt.conf, sources.list, lists/partial
// and cache/archives/partial.
func (a *Apt) writeConfig(sources string) error {
	for _, d := range []string{a.path("lists", "partial"), a.path("cache", "archives", "partial")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating the apt directory: %w", err)
		}
	}
	for name, content := range map[string]string{"apt.conf": aptConf, "sources.list": sources} {
		if err := os.WriteFile(a.path(name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("writing the apt configuration: %w", err)
		}
	}
	return nil
}

// listsStale says why the package lists must be fetched, or "" when they
// need not be: last is what the last successful update wrote (nil: none) at
// time at, sources what the lists are wanted for now.
func listsStale(last []byte, at time.Time, sources string, haveLists bool, now time.Time) string {
	switch {
	case last == nil || !haveLists:
		return "are missing"
	case string(last) != sources:
		return "were fetched for other sources"
	case now.Sub(at) > MaxListAge:
		return fmt.Sprintf("are older than a day (fetched %s)", at.UTC().Format(time.RFC3339))
	}
	return ""
}

// missingComponents lists the components that have no Packages list.
func (a *Apt) missingComponents() []string {
	var missing []string
	for _, c := range a.Source.Components {
		pattern := fmt.Sprintf("*_dists_%s_%s_binary-%s_Packages*", strings.ReplaceAll(a.Source.Suite, "/", "_"), c, a.Source.Arch)
		if m, _ := filepath.Glob(filepath.Join(a.path("lists"), pattern)); len(m) == 0 {
			missing = append(missing, strconv.Quote(c))
		}
	}
	return missing
}

// updateError names what apt-get update failed on in one line.
func (a *Apt) updateError(err error) error {
	why := reason(err)
	switch {
	case strings.Contains(why, "does not have a Release file"):
		return fmt.Errorf("%w: %q is not a suite of %s (apt-get update found no Release file; check suite in images/os.yaml)",
			ErrNoSuite, a.Source.Suite, a.Source.URI)
	case unreachable(why):
		if _, after, ok := strings.Cut(why, "  "); ok { // "Failed to fetch URL  why"
			why = after
		}
		return fmt.Errorf("%w %s: %s (check the network, or set ROS_APT_MIRROR or --mirror)", ErrAptUnreachable, a.Source.URI, why)
	}
	return fmt.Errorf("fetching the package lists of %s: %s", a.Source, why)
}

func unreachable(why string) bool {
	for _, s := range []string{"Could not resolve", "Temporary failure resolving", "Could not connect", "Connection timed out",
		"Connection failed", "Unable to connect", "No route to host", "Network is unreachable"} {
		if strings.Contains(why, s) {
			return true
		}
	}
	return false
}

// toolError is a failed run of a tool: the command, how it ended, and the
// line of its stderr that says why (apt's first error, else the last line).
type toolError struct {
	name string
	args []string
	err  error
	why  string
}

func (e *toolError) Error() string {
	var shown []string // apt's -o options are long and the same for every call
	for i := 0; i < len(e.args); i++ {
		if e.args[i] == "-o" {
			i++
			continue
		}
		shown = append(shown, e.args[i])
	}
	return fmt.Sprintf("%s %s: %v: %s", e.name, strings.Join(shown, " "), e.err, e.why)
}

func (e *toolError) Unwrap() error { return e.err }

// reason is the line that says why a tool failed.
func reason(err error) string {
	var te *toolError
	if errors.As(err, &te) {
		return te.why
	}
	return err.Error()
}

func runTool(name string, args ...string) ([]byte, error) {
	return runToolEnv("", nil, name, args...)
}

// runToolEnv runs a tool in dir (""; the current one) with env (nil: this
// process's).
func runToolEnv(dir string, env []string, name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env, cmd.Stderr = dir, env, &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &toolError{name: name, args: args, err: err, why: whyLine(stderr.String())}
	}
	return out, nil
}

// whyLine picks apt's first error ("E: why"), else the last line.
func whyLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if why, ok := strings.CutPrefix(l, "E: "); ok {
			return strings.TrimSpace(why)
		}
	}
	return lastLine(s)
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
	out, err := a.aptCache(args...)
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
	// apt-cache passes over unknown names when it knows one of them.
	for _, p := range pkgs {
		if !seen[p] {
			return nil, a.notFound(p)
		}
	}
	return sortedKeys(seen), nil
}

// explain turns apt's failure into ErrNoPackage when a name is unknown.
func (a *Apt) explain(pkgs []string, err error) error {
	for _, p := range pkgs {
		if _, perr := a.aptCache("show", "--no-all-versions", p); perr != nil {
			return a.notFound(p)
		}
	}
	return fmt.Errorf("asking apt about packages: %w", err)
}

func (a *Apt) notFound(pkg string) error {
	return fmt.Errorf("%w: %q is not in %s, or only a virtual package (check the name in images/os.yaml)", ErrNoPackage, pkg, a.Source)
}

// KernelPackage resolves a kernel metapackage to the package it depends on.
func (a *Apt) KernelPackage(meta string) (string, error) {
	out, err := a.aptCache("depends", meta)
	if err != nil {
		return "", a.explain([]string{meta}, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		dep, ok := strings.CutPrefix(strings.TrimSpace(line), "Depends: ")
		if ok && strings.HasPrefix(dep, "linux-image-") {
			return dep, nil
		}
	}
	return "", fmt.Errorf("%w: %s in %s depends on no linux-image-* package", ErrNoPackage, meta, a.Source)
}

// Versions returns the candidate version of each package.
func (a *Apt) Versions(pkgs []string) ([]Deb, error) {
	out, err := a.aptCache(append([]string{"show", "--no-all-versions"}, pkgs...)...)
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
	for _, p := range pkgs {
		if !slices.ContainsFunc(debs, func(d Deb) bool { return d.Name == p }) {
			return nil, a.notFound(p)
		}
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
	if _, err := a.aptGet(dir, append([]string{"-q", "download"}, want...)...); err != nil {
		// A version the mirror dropped since the lists were fetched: the
		// next build fetches them again.
		_ = os.Remove(a.path("updated"))
		return fmt.Errorf("%w %s: downloading %d packages: %s (check the network, or set ROS_APT_MIRROR or --mirror)",
			ErrAptUnreachable, a.Source.URI, len(want), reason(err))
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
