package need

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// recorder is a testing.TB that records a skip or a failure instead of
// ending the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestToolMissing(t *testing.T) {
	for _, tc := range []struct {
		ci                  string
		wantSkip, wantFatal string
	}{
		{"", "sgdisk is not installed: run hack/deps.sh (Debian package gdisk)", ""},
		{"false", "sgdisk is not installed: run hack/deps.sh (Debian package gdisk)", ""},
		{"true", "", "sgdisk is not installed: run hack/deps.sh (Debian package gdisk) (CI=true: this must not be missing)"},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			t.Setenv("PATH", t.TempDir())
			r := &recorder{TB: t}
			if got := tool(r, "sgdisk", []string{t.TempDir()}); got != "" {
				t.Errorf("Tool = %q, want \"\"", got)
			}
			if r.skipped != tc.wantSkip || r.failed != tc.wantFatal {
				t.Errorf("skipped %q, failed %q; want skipped %q, failed %q", r.skipped, r.failed, tc.wantSkip, tc.wantFatal)
			}
		})
	}
}

func TestToolFound(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"mkfs.ext4": 0o755, "notexec": 0o644} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("CI", "")
	t.Setenv("PATH", t.TempDir()) // as a user's $PATH without the sbin folders
	r := &recorder{TB: t}
	if got, want := tool(r, "mkfs.ext4", []string{dir}), filepath.Join(dir, "mkfs.ext4"); got != want || r.skipped != "" || r.failed != "" {
		t.Errorf("Tool = %q (skipped %q, failed %q), want %q", got, r.skipped, r.failed, want)
	}
	if got := tool(r, "notexec", []string{dir}); got != "" || r.skipped == "" {
		t.Errorf("Tool(a file that is not executable) = %q, skipped %q; want a skip", got, r.skipped)
	}
}

func TestOnPath(t *testing.T) {
	t.Setenv("CI", "")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mkfs.fat"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	for _, tc := range []struct{ name, want string }{
		{"mkfs.fat", "mkfs.fat is not on $PATH, which the code under test runs it from: add " + dir + " to $PATH"},
		{"mkfs.ext4", "mkfs.ext4 is not installed: run hack/deps.sh (Debian package e2fsprogs)"},
	} {
		r := &recorder{TB: t}
		onPath(r, []string{dir}, tc.name)
		if r.skipped != tc.want {
			t.Errorf("OnPath(%s) skipped %q, want %q", tc.name, r.skipped, tc.want)
		}
	}
	r := &recorder{TB: t}
	t.Setenv("PATH", dir)
	if onPath(r, nil, "mkfs.fat"); r.skipped != "" {
		t.Errorf("OnPath(a tool on $PATH) skipped %q", r.skipped)
	}
}

func TestRoot(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	Root(r)
	if root := os.Geteuid() == 0; root != (r.failed == "") {
		t.Errorf("as uid %d: Root failed with %q", os.Geteuid(), r.failed)
	}
}

// TestDepsInstallsPackages checks that hack/deps.sh installs every package
// the messages name.
func TestDepsInstallsPackages(t *testing.T) {
	b, err := os.ReadFile("../../../hack/deps.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\npkgs=\(([^)]*)\)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("hack/deps.sh has no pkgs=(...) list")
	}
	installed := strings.Fields(string(m[1]))
	for pkg := range packages {
		if !strings.Contains(" "+strings.Join(installed, " ")+" ", " "+pkg+" ") {
			t.Errorf("hack/deps.sh does not install %s", pkg)
		}
	}
}
