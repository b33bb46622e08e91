package partitions

import (
	"os/exec"
	"testing"
)

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
