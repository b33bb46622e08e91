package early

import "testing"

func TestMilestoneLines(t *testing.T) {
	got := milestoneLines([]milestone{{"init", "2.41"}, {"state", "3.02"}})
	if want := "init 2.41\nstate 3.02\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
