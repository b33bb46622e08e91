package rosinit

import (
	"context"

	"github.com/ros-os/ros/internal/watchdog"
)

// The hardware watchdog (QEMU's i6300esb, or the machine's): the initramfs
// arms it and hands it over; PID 1 pets it for as long as it runs, so a
// hung kernel or a stuck PID 1 resets the machine, which burns a boot try
// like a failed health gate.
const (
	watchdogDev     = "/dev/watchdog"
	watchdogTimeout = 60 // seconds
)

func startWatchdog(_ context.Context, st *state) error {
	d, ok := watchdog.Inherited(st.opts.watchdogFD, watchdogTimeout)
	how := "handed over by the initramfs"
	if !ok {
		var err error
		if d, err = watchdog.Open(st.opts.Watchdog, watchdogTimeout); err != nil {
			st.log.Printf("no hardware watchdog (%v): the health gate's timeout is the only one", err)
			return nil
		}
		how = "opened"
	}
	d.Keep()
	st.log.Printf("hardware watchdog armed (%d s, %s)", watchdogTimeout, how)
	return nil
}
