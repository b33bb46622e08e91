// Package need lets a test say what it needs from the machine: a tool, root,
// a loop device. When something is missing the test is skipped, except under
// CI=true, where it fails: CI runs as root on a Debian 12 machine where
// hack/deps.sh has installed every tool, so there a missing piece is a broken
// machine, not a reason to pass without testing.
package need

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// packages names the Debian packages that provide the tools the tests run,
// for the message that says what to install. hack/deps.sh installs them all.
var packages = map[string][]string{
	"dosfstools":     {"fsck.fat", "fsck.vfat", "mkfs.fat", "mkfs.vfat"},
	"e2fsprogs":      {"debugfs", "e2fsck", "mkfs.ext4"},
	"gdisk":          {"sgdisk"},
	"genisoimage":    {"genisoimage"},
	"mtools":         {"mcopy", "mdir", "mmd", "mren", "mtype"},
	"squashfs-tools": {"mksquashfs", "unsquashfs"},
	"systemd":        {"systemd-analyze"},
	"tar":            {"tar"},
	"util-linux":     {"losetup", "mkswap", "partx", "swapoff", "swapon"},
	"xz-utils":       {"xz"},
}

// CI reports whether the tests run in CI (CI=true), where nothing may be missing.
func CI() bool { return os.Getenv("CI") == "true" }

// Missing ends the test because the machine lacks what it needs: a skip, or
// under CI=true a failure. The message says what is missing and what to do.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf(format+" (CI=true: this must not be missing)", args...)
		return
	}
	t.Skipf(format, args...)
}

// Tool returns the path of the program name, found in $PATH or, as a user's
// $PATH may lack them, in /usr/sbin and /sbin.
func Tool(t testing.TB, name string) string {
	t.Helper()
	return tool(t, name, sbin)
}

// sbin holds the folders where Tool looks after $PATH.
var sbin = []string{"/usr/sbin", "/sbin"}

func tool(t testing.TB, name string, sbin []string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	for _, dir := range sbin {
		path := filepath.Join(dir, name)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return path
		}
	}
	Missing(t, "%s is not installed: %s", name, install(name))
	return ""
}

// OnPath needs every program in names on $PATH, for code under test that
// runs them by name.
func OnPath(t testing.TB, names ...string) {
	t.Helper()
	onPath(t, sbin, names...)
}

func onPath(t testing.TB, sbin []string, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err == nil {
			continue
		}
		if path := tool(t, name, sbin); path != "" {
			Missing(t, "%s is not on $PATH, which the code under test runs it from: add %s to $PATH", name, filepath.Dir(path))
		}
	}
}

// Root needs the test to run as root.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "this test needs root: run it with sudo")
	}
}

// Loop attaches img as a loop device with sectorSize-byte sectors and
// partition scanning, and returns the device; it is detached at the end of
// the test. It needs root and losetup.
func Loop(t testing.TB, img string, sectorSize int64) string {
	t.Helper()
	losetup := Tool(t, "losetup")
	Root(t)
	out, err := exec.Command(losetup, "--find", "--show", "--partscan",
		"--sector-size", fmt.Sprint(sectorSize), img).CombinedOutput()
	if err != nil {
		Missing(t, "no loop device: losetup: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command(losetup, "--detach", dev).CombinedOutput(); err != nil {
			t.Errorf("detaching %s: %v: %s", dev, err, out)
		}
	})
	return dev
}

// install says how to install the tool name.
func install(name string) string {
	for pkg, tools := range packages {
		if slices.Contains(tools, name) {
			return "run hack/deps.sh (Debian package " + pkg + ")"
		}
	}
	return "run hack/deps.sh"
}
