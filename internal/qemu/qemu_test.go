package qemu

import (
	"errors"
	"testing"
)

func TestRestart(t *testing.T) {
	failed := errors.New("exit status 1")
	for _, c := range []struct {
		name, console string
		err           error
		want, noted   bool
	}{
		{"reboot", "ros-init: rebooting\r\n[  9.1] reboot: Restarting system\r\n", nil, true, false},
		{"panic reboot", "Kernel panic - not syncing: softlockup: hung tasks\r\nRebooting in 10 seconds..", nil, true, false},
		{"power off", "[  9.1] reboot: Power down\r\n", nil, false, false},
		{"halt", "reboot: System halted\r\n", nil, false, false},
		{"qemu failed", "qemu-system-x86_64: -drive file=x: Could not open 'x'\n", failed, false, false},
		{"watchdog reset", "ros-init: starting services\r\n", nil, true, true},
		{"watchdog reset before any output", "", nil, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, note := restart(c.console, c.err)
			if got != c.want || (note != "") != c.noted {
				t.Errorf("restart(%q, %v) = %v, %q; want %v, a note: %v", c.console, c.err, got, note, c.want, c.noted)
			}
		})
	}
}
