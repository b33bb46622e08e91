package rosinit

import (
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/ros-os/ros/init/reaper"
)

// A command run for its output goes through the reaper and still gives its
// whole output and exit status.
// testReaper is the test binary's one Reaper (two would take each other's
// children), shared by -count=N runs.
var testReaper = sync.OnceValue(reaper.New)

func TestReapedOutput(t *testing.T) {
	run := reapedOutput(testReaper())
	out, err := run(exec.Command("sh", "-c", "echo to-stdout; echo to-stderr >&2"))
	if err != nil || !strings.Contains(string(out), "to-stdout") || !strings.Contains(string(out), "to-stderr") {
		t.Fatalf("output = %q, %v", out, err)
	}
	out, err = run(exec.Command("sh", "-c", "echo mount: no such device; exit 32"))
	if err == nil || !strings.Contains(err.Error(), "exit status 32") || !strings.Contains(string(out), "no such device") {
		t.Fatalf("failing command: output = %q, err = %v", out, err)
	}
}
