package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ros-os/ros/internal/buildinfo"
)

func TestVersion(t *testing.T) {
	buildinfo.Version, buildinfo.Commit, buildinfo.Date = "1.2.3", "abc123", "2026-11-25T00:00:00Z"
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"version"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := "ros version 1.2.3 (commit abc123, built 2026-11-25T00:00:00Z)\n"
	if out.String() != want {
		t.Fatalf("ros version printed %q, want %q", out.String(), want)
	}
	if err := (func() error { cmd := newRootCmd(); cmd.SetArgs([]string{"version", "extra"}); return cmd.Execute() })(); err == nil ||
		!strings.Contains(err.Error(), "unknown command") && !strings.Contains(err.Error(), "accepts 0 arg") {
		t.Fatalf("ros version extra: %v", err)
	}
}
