package bootloader

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/ros-os/ros/internal/testutil/need"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		// Examples of the UAPI Version Format Specification.
		{"11", "11", 0},
		{"systemd-123", "systemd-123", 0},
		{"bar-123", "foo-123", -1},
		{"123a", "123", 1},
		{"123.a", "123", 1},
		{"123.a", "123.b", -1},
		{"123a", "123.a", 1},
		{"11α", "11β", 0},
		{"A", "a", -1},
		{"", "0", -1},
		{"0.", "0", 1},
		{"0.0", "0", 1},
		{"1_", "1", 0},
		{"_1", "1", 0},
		{"1_", "1.2", -1},
		{"1_2_3", "1.3.3", 1},
		{"1+", "1", 0},
		{"+1", "1", 0},
		{"1+", "1.2", -1},
		{"1+2+3", "1.3.3", 1},
		// The specification says "0" < "~"; systemd 252 (what systemd-boot
		// runs) and systemd-analyze say the opposite. We follow systemd.
		{"0", "~", 1},
		{"", "~", 1},
		// The ladder in systemd's strverscmp_improved, oldest first.
		{"122.1", "123~rc1-1", -1},
		{"123~rc1-1", "123", -1},
		{"123", "123-a", -1},
		{"123-a", "123-a.1", -1},
		{"123-a.1", "123-1", -1},
		{"123-1", "123-1.1", -1},
		{"123-1.1", "123^post1", -1},
		{"123^post1", "123.a-1", -1},
		{"123.a-1", "123.1-1", -1},
		{"123.1-1", "123a-1", -1},
		{"123a-1", "124-1", -1},
		// What matters for ros versions.
		{"0.10.0", "0.9.0", 1},
		{"1.0.0", "1.0.0-rc1", -1}, // not semver: "-" is a release separator
		{"1.0.0~rc1", "1.0.0", -1},
		{"007", "7", 0},
		{"ros-b.conf", "ros-a+3-0.conf", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			if got := CompareVersions(tt.a, tt.b); got != tt.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := CompareVersions(tt.b, tt.a); got != -tt.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

// TestCompareVersionsSystemd checks CompareVersions against
// "systemd-analyze compare-versions", which shares its code with
// systemd-boot, when it is installed.
func TestCompareVersionsSystemd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs systemd-analyze hundreds of times")
	}
	analyze := need.Tool(t, "systemd-analyze")
	if out, err := exec.Command(analyze, "compare-versions", "1", "2").CombinedOutput(); err != nil && !strings.Contains(string(out), "<") {
		need.Missing(t, "systemd-analyze compare-versions is unsupported (systemd 252, in Debian 12, has it): %s", out)
	}
	vs := []string{
		"1", "1.0", "1.0.0", "1.0-rc1", "1.0~rc1", "1.0^p1", "1.0a", "1a", "1.a",
		"1-1", "1--1", "1..2", "1.~", "~", "~~1", "^", "-", ".", "a", "B", "ab",
		"0.9.0", "0.10.0", "0.10.0-1", "00010", "10", "ros-a+3-0.conf", "ros-b.conf",
		"6.1.0-28-amd64", "6.1.0-9-amd64", "2024.11.25", "v1.2", "1_2", "1+2",
	}
	for i, a := range vs {
		t.Run(a, func(t *testing.T) {
			t.Parallel()
			for _, b := range vs[i:] {
				want := systemdCompare(t, analyze, a, b)
				if got := CompareVersions(a, b); got != want {
					t.Errorf("CompareVersions(%q, %q) = %d, systemd-analyze says %d", a, b, got, want)
				}
				if got := CompareVersions(b, a); got != -want {
					t.Errorf("CompareVersions(%q, %q) = %d, systemd-analyze says %d", b, a, got, -want)
				}
			}
		})
	}
}

func systemdCompare(t *testing.T, analyze, a, b string) int {
	t.Helper()
	// Exit status: 0 equal, 11 a > b, 12 a < b.
	err := exec.Command(analyze, "compare-versions", a, b).Run()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		switch ee.ExitCode() {
		case 11:
			return 1
		case 12:
			return -1
		}
	}
	t.Fatalf("systemd-analyze compare-versions %q %q: %v", a, b, err)
	return 0
}
