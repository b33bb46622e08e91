package builder

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var testSource = Source{
	Mirror: Mirror{URI: "http://deb.example.org/debian", Keyring: DebianKeyring},
	Suite:  "trixie", Components: []string{"main"}, Arch: "amd64",
}

// call is one tool run the fake saw.
type call struct {
	dir, name string
	args      []string
}

// fakeApt answers apt like apt does for a tiny archive. apt-get update
// writes the lists (or fails with updateErr), apt-get download fails with
// downloadErr.
type fakeApt struct {
	*Apt
	calls                  []call
	updateErr, downloadErr error
	served                 []string // the mirror's components
	logs                   []string
}

func newFakeApt(t *testing.T) *fakeApt {
	f := &fakeApt{served: []string{"main", "contrib", "non-free", "non-free-firmware"}}
	f.Apt = &Apt{Cache: t.TempDir(), Source: testSource, Run: f.run, RunIn: f.runIn,
		Logf: func(format string, a ...any) { f.logs = append(f.logs, fmt.Sprintf(format, a...)) }}
	return f
}

func (f *fakeApt) run(name string, args ...string) ([]byte, error) { return f.runIn("", name, args...) }

func (f *fakeApt) runIn(dir, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, call{dir, name, args})
	known := map[string]string{"busybox-static": "1:1.37.0-6", "libc6": "2.41-12", "linux-image-amd64": "6.12.57-1",
		"linux-image-6.12.57+deb13-amd64": "6.12.57-1"}
	_, args = splitOptions(args)
	switch {
	case name == "apt-get" && slices.Contains(args, "update"):
		if f.updateErr != nil {
			return nil, f.updateErr
		}
		for _, c := range f.Source.Components {
			if !slices.Contains(f.served, c) {
				continue // apt warns and carries on
			}
			list := fmt.Sprintf("deb.example.org_debian_dists_%s_%s_binary-%s_Packages", f.Source.Suite, c, f.Source.Arch)
			if err := os.WriteFile(filepath.Join(f.path("lists"), list), nil, 0o644); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case name == "apt-get" && slices.Contains(args, "download"):
		return nil, f.downloadErr
	case name == "apt-cache" && args[0] == "show":
		// Like apt: unknown names are passed over unless none is known.
		var out strings.Builder
		for _, p := range args[2:] {
			if v, ok := known[p]; ok {
				fmt.Fprintf(&out, "Package: %s\nVersion: %s\nArchitecture: amd64\n\n", p, v)
			}
		}
		if out.Len() == 0 {
			return nil, errors.New("E: No packages found")
		}
		return []byte(out.String()), nil
	case name == "apt-cache" && args[0] == "depends" && args[1] == "linux-image-amd64":
		return []byte("linux-image-amd64\n  Depends: linux-image-6.12.57+deb13-amd64\n"), nil
	case name == "apt-cache" && args[0] == "depends":
		var out strings.Builder
		for _, p := range args[slices.Index(args, "APT::Cache::ShowOnlyFirstOr=true")+1:] {
			if _, ok := known[p]; ok {
				fmt.Fprintf(&out, "%s\n  Depends: libc6\n", p)
			}
		}
		if out.Len() == 0 {
			return nil, errors.New("E: No packages found")
		}
		return []byte(out.String() + "libc6\n"), nil
	}
	return nil, fmt.Errorf("unexpected %s %v", name, args)
}

// splitOptions separates apt's leading -o pairs from the rest.
func splitOptions(args []string) (opts, rest []string) {
	for len(args) > 1 && args[0] == "-o" {
		opts, args = append(opts, args[1]), args[2:]
	}
	return opts, args
}

// verb is apt's command: the first argument that is no option.
func verb(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

// Every apt-get and apt-cache call the builder makes carries the builder's
// own configuration, so nothing of the host's sources, pins, lists or dpkg
// status applies.
func TestAptOptionsOnEveryCall(t *testing.T) {
	f := newFakeApt(t)
	if err := f.Update(); err != nil {
		t.Fatal(err)
	}
	kpkg, err := f.KernelPackage("linux-image-amd64")
	if err != nil {
		t.Fatal(err)
	}
	names, err := f.Closure([]string{"busybox-static"})
	if err != nil {
		t.Fatal(err)
	}
	debs, err := f.Versions(append(names, kpkg))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.download(t.TempDir(), debs); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(f.Cache, "apt", "trixie")
	want := []string{
		"Dir::Etc::SourceList=" + dir + "/sources.list",
		"Dir::Etc::SourceParts=/dev/null",
		"Dir::Etc::Preferences=/dev/null",
		"Dir::Etc::PreferencesParts=/dev/null",
		"Dir::State=" + dir,
		"Dir::State::Lists=" + dir + "/lists",
		"Dir::State::status=/dev/null",
		"Dir::Cache=" + dir + "/cache",
		"APT::Default-Release=",
		"APT::Architecture=amd64",
		"APT::Architectures=amd64",
		"APT::Sandbox::User=root",
		"Acquire::Languages=none",
	}
	var tools []string
	for _, c := range f.calls {
		opts, rest := splitOptions(c.args)
		tools = append(tools, c.name+" "+verb(rest))
		if !slices.Equal(opts, want) {
			t.Errorf("%s %v: options\n%v\nwant\n%v", c.name, rest, opts, want)
		}
	}
	if got := strings.Join(tools, ", "); got != "apt-get update, apt-cache depends, apt-cache depends, apt-cache show, apt-get download" {
		t.Errorf("calls: %s", got)
	}
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
}

func TestSourcesList(t *testing.T) {
	f := newFakeApt(t)
	f.Source.Components = []string{"main", "non-free-firmware"}
	if err := f.writeConfig(f.Source.SourcesList()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(f.Dir(), "sources.list"))
	if err != nil {
		t.Fatal(err)
	}
	want := "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.example.org/debian trixie main non-free-firmware\n"
	if string(got) != want {
		t.Fatalf("sources.list:\n%s\nwant\n%s", got, want)
	}
	conf, err := os.ReadFile(filepath.Join(f.Dir(), "apt.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{`Dir::Etc::Main "/dev/null";`, `Dir::Etc::Parts "/dev/null";`} {
		if !strings.Contains(string(conf), line) {
			t.Errorf("apt.conf lacks %s", line)
		}
	}
}

func TestHostMirror(t *testing.T) {
	tests := []struct {
		etc, want, from string
	}{
		// cdrom, commented, deb-src and security lines are passed over.
		{"oneline", "http://ftp.mirror.example/debian/", "sources.list"},
		// docker's (component stable) and sury's (own keyring) repositories,
		// a disabled paragraph and the security archive are passed over;
		// *.disabled is not read; zz-later.list comes after.
		{"deb822", "http://mirror.example.net/debian", "sources.list.d/debian.sources"},
		// An inline Signed-By key is no keyring file: Debian's is used.
		{"inline", "mirror+file:///etc/apt/mirrors/debian.list", "sources.list.d/debian.sources"},
	}
	for _, tt := range tests {
		t.Run(tt.etc, func(t *testing.T) {
			etc := filepath.Join("testdata/apt", tt.etc)
			m, err := HostMirror(etc)
			if err != nil {
				t.Fatal(err)
			}
			want := Mirror{URI: tt.want, Keyring: DebianKeyring, From: filepath.Join(etc, tt.from)}
			if m != want {
				t.Fatalf("got %+v, want %+v", m, want)
			}
		})
	}
	// Only security, Ubuntu and third-party sources.
	_, err := HostMirror("testdata/apt/none")
	if !errors.Is(err, ErrNoMirror) || !strings.Contains(err.Error(), "ROS_APT_MIRROR") {
		t.Fatalf("got %v, want ErrNoMirror naming ROS_APT_MIRROR", err)
	}
}

func TestCheckMirror(t *testing.T) {
	for _, uri := range []string{"mirror.example/debian", "http://x/debian main", ""} {
		if err := CheckMirror(uri); !errors.Is(err, ErrNoMirror) {
			t.Errorf("CheckMirror(%q) = %v, want ErrNoMirror", uri, err)
		}
	}
	if err := CheckMirror("http://mirror.example/debian"); err != nil {
		t.Fatal(err)
	}
}

func TestListsStale(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	src := testSource.SourcesList()
	tests := []struct {
		name      string
		last      []byte
		age       time.Duration
		haveLists bool
		want      string
	}{
		{"never updated", nil, 0, false, "are missing"},
		{"lists deleted", []byte(src), time.Hour, false, "are missing"},
		{"fresh", []byte(src), 23 * time.Hour, true, ""},
		{"older than a day", []byte(src), 25 * time.Hour, true, "are older than a day (fetched 2026-11-30T11:00:00Z)"},
		{"other mirror", []byte(strings.Replace(src, "example.org", "example.net", 1)), time.Hour, true, "were fetched for other sources"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listsStale(tt.last, now.Add(-tt.age), src, tt.haveLists, now); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// Update runs apt-get update only when the lists are missing or stale, and
// says so in the log.
func TestUpdateWhenStale(t *testing.T) {
	f := newFakeApt(t)
	updates := func() int {
		n := 0
		for _, c := range f.calls {
			if _, rest := splitOptions(c.args); slices.Contains(rest, "update") {
				n++
			}
		}
		return n
	}
	steps := []struct {
		name    string
		prepare func()
		want    int
	}{
		{"missing", func() {}, 1},
		{"fresh", func() {}, 1},
		{"stale", func() {
			old := time.Now().Add(-25 * time.Hour)
			_ = os.Chtimes(filepath.Join(f.Dir(), "updated"), old, old)
		}, 2},
		{"other components", func() { f.Source.Components = []string{"main", "contrib"} }, 3},
		{"lists removed", func() { _ = os.RemoveAll(filepath.Join(f.Dir(), "lists")) }, 4},
	}
	for _, s := range steps {
		s.prepare()
		if err := f.Update(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := updates(); got != s.want {
			t.Fatalf("%s: %d updates, want %d", s.name, got, s.want)
		}
	}
	if got := f.logs[0]; got != "package lists of trixie main at http://deb.example.org/debian are missing: apt-get update" {
		t.Fatalf("log %q", got)
	}
}

// Bad input stops the build with one line that names it.
func TestAptErrors(t *testing.T) {
	tests := []struct {
		name        string
		served      []string
		updateErr   error
		downloadErr error
		pkgs        []string
		want        error
		says        string
	}{
		{"unknown package", nil, nil, nil, []string{"busybox-static", "no-such-package"}, ErrNoPackage,
			`package not found: "no-such-package" is not in trixie main at http://deb.example.org/debian, or only a virtual package (check the name in images/os.yaml)`},
		{"only unknown packages", nil, nil, nil, []string{"no-such-package"}, ErrNoPackage, `"no-such-package" is not in trixie main`},
		{"unknown suite", nil,
			errors.New("E: The repository 'http://deb.example.org/debian nosuch Release' does not have a Release file."), nil,
			nil, ErrNoSuite, `"trixie" is not a suite of http://deb.example.org/debian`},
		{"unknown component", []string{"main"}, nil, nil, nil, ErrNoSuite, `trixie has no component "mian" for amd64`},
		{"unreachable mirror", nil,
			&toolError{name: "apt-get", args: []string{"-o", "Dir::Cache=/x", "update"}, err: errors.New("exit status 100"),
				why: "Failed to fetch http://deb.example.org/debian/dists/trixie/InRelease  Could not resolve 'deb.example.org'"}, nil,
			nil, ErrAptUnreachable, "cannot reach the Debian mirror http://deb.example.org/debian: Could not resolve 'deb.example.org'"},
		{"download fails", nil, nil, &toolError{name: "apt-get", err: errors.New("exit status 100"),
			why: "Failed to fetch http://deb.example.org/debian/pool/main/b/busybox/busybox.deb  Connection failed"},
			[]string{"busybox-static"}, ErrAptUnreachable,
			"cannot reach the Debian mirror http://deb.example.org/debian: downloading 2 packages: Failed to fetch http://deb.example.org/debian/pool/main/b/busybox/busybox.deb  Connection failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeApt(t)
			f.updateErr, f.downloadErr = tt.updateErr, tt.downloadErr
			if tt.served != nil {
				f.served, f.Source.Components = tt.served, []string{"main", "mian"}
			}
			err := f.Update()
			if err == nil {
				var names []string
				var debs []Deb
				if names, err = f.Closure(tt.pkgs); err == nil {
					if debs, err = f.Versions(names); err == nil {
						_, err = f.Fetch(debs)
					}
				}
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, tt.says) || strings.Contains(msg, "Dir::") {
				t.Fatalf("error %q: want one line saying %q, without apt's options", msg, tt.says)
			}
			// After a failed download the next build fetches the lists again.
			if _, err := os.Stat(filepath.Join(f.Dir(), "updated")); tt.downloadErr != nil && err == nil {
				t.Fatal("the lists still count as fresh after a failed download")
			}
		})
	}
}

func TestWhyLine(t *testing.T) {
	tests := []struct{ stderr, want string }{
		{"W: Failed to fetch X\nE: Failed to fetch X  Could not resolve 'x'\nE: Some index files failed to download.\n",
			"Failed to fetch X  Could not resolve 'x'"},
		{"Reading package lists...\nmksquashfs: no space left\n", "mksquashfs: no space left"},
	}
	for _, tt := range tests {
		if got := whyLine(tt.stderr); got != tt.want {
			t.Errorf("whyLine(%q) = %q, want %q", tt.stderr, got, tt.want)
		}
	}
}

func TestVersionsFileNameEscapesEpoch(t *testing.T) {
	debs, err := newFakeApt(t).Versions([]string{"busybox-static"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "busybox-static_1%3a1.37.0-6_amd64.deb"; debs[0].File != want {
		t.Fatalf("File = %q, want %q", debs[0].File, want)
	}
}

// With the real apt, the builder's configuration is the one in effect: no
// host apt.conf.d, sources.list.d, preferences or dpkg status.
func TestAptReadsNoHostConfig(t *testing.T) {
	if _, err := exec.LookPath("apt-config"); err != nil {
		t.Skip("no apt-config")
	}
	a := NewApt(t.TempDir(), testSource)
	if err := a.writeConfig(testSource.SourcesList()); err != nil {
		t.Fatal(err)
	}
	out, err := a.Run("apt-config", append(a.Options(), "dump")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`Dir::Etc::main "/dev/null";`, `Dir::Etc::parts "/dev/null";`, `Dir::Etc::sourceparts "/dev/null";`,
		`Dir::Etc::preferences "/dev/null";`, `Dir::Etc::preferencesparts "/dev/null";`, `Dir::State::status "/dev/null";`,
		`Dir::Etc::sourcelist "` + a.Dir() + `/sources.list";`, `APT::Sandbox::User "root";`,
	} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("apt-config dump lacks %s", want)
		}
	}
	// Hooks and index targets that a host's apt.conf.d adds (PackageKit,
	// AppStream) must not run on the builder's updates.
	for _, host := range []string{"APT::Update::Post-Invoke", "DPkg::Post-Invoke", "deb::DEP-11"} {
		if strings.Contains(string(out), host) {
			t.Errorf("apt-config dump has the host's %s", host)
		}
	}
}

// The image gets Debian's stable fixes: the suite, its -updates pocket on
// the mirror and its -security pocket from the security archive.
func TestSourcesListPockets(t *testing.T) {
	s := Source{Mirror: Mirror{URI: "http://mirror.example/debian", Keyring: DebianKeyring}, Suite: "trixie",
		Components: []string{"main"}, Arch: "amd64", Updates: true, Security: "http://security.example/debian-security"}
	want := "deb [arch=amd64 signed-by=" + DebianKeyring + "] http://mirror.example/debian trixie main\n" +
		"deb [arch=amd64 signed-by=" + DebianKeyring + "] http://mirror.example/debian trixie-updates main\n" +
		"deb [arch=amd64 signed-by=" + DebianKeyring + "] http://security.example/debian-security trixie-security main\n"
	if got := s.SourcesList(); got != want {
		t.Errorf("SourcesList =\n%s\nwant\n%s", got, want)
	}
	s.Updates, s.Security = false, ""
	if got := s.SourcesList(); strings.Count(got, "\n") != 1 {
		t.Errorf("SourcesList without pockets =\n%s", got)
	}
}

func TestHostSecurity(t *testing.T) {
	tests := []struct{ etc, mirror, want string }{
		{"testdata/apt/deb822", "http://mirror.example/debian", "http://mirror.example/debian-security"},
		{"testdata/apt/none", "http://mirror.example/debian", "http://security.example/debian-security"},
		{"testdata/apt/missing", "http://mirror.example/debian/", "http://mirror.example/debian-security"},
	}
	for _, tt := range tests {
		if got := HostSecurity(tt.etc, tt.mirror); got != tt.want {
			t.Errorf("HostSecurity(%s) = %s, want %s", tt.etc, got, tt.want)
		}
	}
}
