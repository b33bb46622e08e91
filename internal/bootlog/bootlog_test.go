package bootlog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	tl := Timeline{Version: "1.2.3", Slot: "a",
		Steps: []Step{
			{Name: "starting System Docker", Start: 2.5, End: 6.5},
			{Name: "mounting the system filesystems", Start: 2.0, End: 2.1},
			{Name: "waiting for User Docker", Start: 7, End: 0},
			{Name: "checking health", Start: 8, End: 9, Err: "sshd: no answer"},
		},
		Milestones: []Milestone{{"initramfs", 1.5}, {"system-docker", 6.4}},
	}
	var out bytes.Buffer
	if err := Write(&out, tl); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	lines := strings.Split(strings.TrimSpace(got), "\n")
	want := []string{"boot of ros 1.2.3 on slot a", "milestone initramfs", "mounting the system filesystems", "starting System Docker",
		"milestone system-docker", "waiting for User Docker", "checking health"}
	if len(lines) != len(want) {
		t.Fatalf("Write() gave %d lines, want %d:\n%s", len(lines), len(want), got)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q; want it to hold %q", i, lines[i], w)
		}
	}
	for _, w := range []string{"4.00 s", "not done", "FAILED: sshd: no answer"} {
		if !strings.Contains(got, w) {
			t.Errorf("Write() does not say %q:\n%s", w, got)
		}
	}
	// System Docker's bar is the longest: 4 s of a 9 s boot.
	if n := strings.Count(lines[3], "#"); n != 18 {
		t.Errorf("System Docker's bar has %d #, want 18 (4 s of 9 s in 40 columns): %q", n, lines[3])
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "boot.json")
	if err := os.WriteFile(p, []byte(`{"version":"1","slot":"b","healthy":true,"steps":[{"name":"x","start":1,"end":2}],"milestones":[{"name":"m","uptime":1.5}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tl, err := Read(p)
	if err != nil || len(tl.Steps) != 1 || tl.Steps[0].End != 2 || len(tl.Milestones) != 1 || tl.Slot != "b" {
		t.Fatalf("Read() = %+v, %v", tl, err)
	}
	if _, err := Read(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "written once the boot is over") {
		t.Errorf("Read(missing) error = %v", err)
	}
}
