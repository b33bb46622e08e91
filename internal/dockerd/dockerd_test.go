package dockerd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ros-os/ros/init/reaper"
)

// testReaper is the one reaper of this test process: a reaper waits for any
// child, so two would steal each other's exit statuses.
var testReaper = reaper.New()

// fakeDockerd writes a script that ignores its arguments and runs body.
func fakeDockerd(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dockerd")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// A daemon that dies before its API answers fails Run at once, not after
// the timeout.
func TestRunFailsWhenDaemonDies(t *testing.T) {
	d := &Daemon{Name: "test docker", Binary: fakeDockerd(t, "exit 1"), Socket: filepath.Join(t.TempDir(), "docker.sock"),
		Logf: t.Logf, Start: testReaper, LogDir: t.TempDir()}
	start := time.Now()
	_, err := d.Run(context.Background(), time.Minute)
	if !errors.Is(err, ErrDied) {
		t.Fatalf("Run = %v, want ErrDied", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("Run took %s: it waited for the timeout", time.Since(start))
	}
	d.Stop(5 * time.Second)
}

// Stop ends a running daemon and its supervision.
func TestStop(t *testing.T) {
	d := &Daemon{Name: "test docker", Binary: fakeDockerd(t, "exec sleep 60"), Socket: filepath.Join(t.TempDir(), "docker.sock"),
		Logf: t.Logf, Start: testReaper, LogDir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := d.Run(ctx, time.Minute); err == nil {
		t.Fatal("Run succeeded without an API")
	}
	done := make(chan struct{})
	go func() { d.Stop(5 * time.Second); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return")
	}
}
