package rosinit

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The hardware watchdog (QEMU's i6300esb, or the machine's): PID 1 pets it
// for as long as it runs, so a hung kernel or a stuck PID 1 resets the
// machine, which burns a boot try like a failed health gate.
const (
	watchdogDev     = "/dev/watchdog"
	watchdogTimeout = 60 // seconds
	watchdogPet     = 10 * time.Second
)

func startWatchdog(_ context.Context, st *state) error {
	f, err := os.OpenFile(st.opts.Watchdog, os.O_WRONLY, 0)
	if err != nil {
		st.log.Printf("no hardware watchdog (%v): the health gate's timeout is the only one", err)
		return nil
	}
	_ = unix.IoctlSetPointerInt(int(f.Fd()), unix.WDIOC_SETTIMEOUT, watchdogTimeout)
	go func() {
		for {
			_ = unix.IoctlWatchdogKeepalive(int(f.Fd()))
			time.Sleep(watchdogPet)
		}
	}()
	st.log.Printf("hardware watchdog armed (%d s)", watchdogTimeout)
	return nil
}
