package early

import (
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/watchdog"
)

// The hardware watchdog is armed here, not first in PID 1: a slot whose
// init hangs or dies before it gets to the watchdog must still reset the
// machine (and so burn a boot try) instead of hanging forever. The
// initramfs pets it while it works, since checking a large STATE may take
// long, and hands it to PID 1, which has handOverTimeout to adopt it.
const (
	watchdogDev     = "/dev/watchdog"
	handOverTimeout = 60 // seconds
)

// armWatchdog opens the watchdog loaded with the initramfs modules
// (i6300esb under QEMU). A machine without one boots unwatched until PID 1
// looks again, as it did before.
func armWatchdog(b *boot) error {
	d, err := watchdog.Open(watchdogDev, handOverTimeout)
	if err != nil {
		b.log.Printf("no hardware watchdog (%v)", err)
		return nil
	}
	d.Keep()
	b.dog = d
	b.log.Printf("hardware watchdog armed (%d s)", handOverTimeout)
	return nil
}

// handOverWatchdog passes the watchdog to PID 1 at contract.WatchdogFD.
// If that fails, the initramfs's copy closes at exec and the watchdog runs
// on until PID 1 opens it again.
func handOverWatchdog(b *boot) {
	if b.dog == nil {
		return
	}
	if err := b.dog.HandOver(contract.WatchdogFD); err != nil {
		b.log.Printf("WARNING: %v", err)
	}
}
