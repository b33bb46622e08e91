package partitions

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// needTool returns the path of a real tool the test runs. Without it the
// test is skipped, except with CI=true, where it fails: CI must run it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} { // not on a user's PATH
		if path := filepath.Join(dir, name); isExecutable(path) {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; CI=true needs it (Debian: apt-get install gdisk util-linux)", name)
	}
	t.Skipf("%s is not installed", name)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// run runs a tool and returns its combined output, failing the test if it
// exits non-zero.
func run(t *testing.T, tool string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return string(out)
}
