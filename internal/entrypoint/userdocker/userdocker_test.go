package userdocker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ros-os/ros/internal/dockerd"
)

// A dockerd that exits at once (as with an unknown flag) is reported as
// dead before its API answered, which makes user-docker drop the config's
// arguments.
func TestSuperviseDockerdDiesEarly(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "dockerd")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"unknown flag: $1\" >&2\nexit 125\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := superviseDockerd(context.Background(), fake, filepath.Join(dir, "docker.sock"), []string{"--no-such-flag"})
	if !errors.Is(err, dockerd.ErrDied) {
		t.Fatalf("err = %v, want ErrDied", err)
	}
}
