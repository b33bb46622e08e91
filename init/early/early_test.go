package early

import "testing"

func TestStepOrder(t *testing.T) {
	order := map[string]int{}
	for i, s := range steps {
		if s.name == "" || s.run == nil {
			t.Errorf("step %d is incomplete", i)
		}
		order[s.name] = i
	}
	before := [][2]string{
		{"mounting /proc, /sys, /dev and /run", "loading kernel modules"},
		{"loading kernel modules", "finding the root slot"},
		{"loading kernel modules", "arming the watchdog"}, // i6300esb is one of them
		{"arming the watchdog", "finding the root slot"},  // waiting for disks may hang
		{"finding the root slot", "finding STATE"},
		{"mounting the root slot", "checking STATE"}, // e2fsck comes from the slot
		{"checking STATE", "mounting STATE"},
		{"mounting STATE", "mounting the writable places"},
		{"loading overlay from the root slot", "mounting the writable places"},
		{"mounting the writable places", "recording the boot for the system stage"}, // needs the new /run
		{"recording the boot for the system stage", "switching to the root slot"},
	}
	for _, b := range before {
		i, ok1 := order[b[0]]
		j, ok2 := order[b[1]]
		if !ok1 || !ok2 || i >= j {
			t.Errorf("%q must come before %q", b[0], b[1])
		}
	}
	if last := steps[len(steps)-1].name; last != "switching to the root slot" {
		t.Errorf("last step is %q", last)
	}
}
