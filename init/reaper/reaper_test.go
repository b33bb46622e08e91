package reaper

import (
	"os/exec"
	"testing"
	"time"
)

// The reaper is used outside PID 1 here; it reaps the test's own children.
func TestRunAndStatus(t *testing.T) {
	r := New()
	if err := r.Run(exec.Command("true")); err != nil {
		t.Fatalf("true: %v", err)
	}
	if err := r.Run(exec.Command("sh", "-c", "exit 3")); err == nil || err.Error() != "/usr/bin/sh: exit status 3" && err.Error() != "/bin/sh: exit status 3" {
		t.Fatalf("exit 3: %v", err)
	}
	ch, err := r.Start(exec.Command("sleep", "0.1"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-ch:
		if ws.ExitStatus() != 0 {
			t.Fatalf("sleep: %v", ws)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit status for sleep")
	}
}
