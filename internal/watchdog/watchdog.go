// Package watchdog drives a hardware watchdog (/dev/watchdog, QEMU's
// i6300esb or the machine's): it arms it with a timeout, pets it, and hands
// it from the initramfs to PID 1 across exec, so that the machine is watched
// from the initramfs on with no gap: a slot whose init hangs before it gets
// to the watchdog still resets the machine, which burns a boot try.
//
// A watchdog device opens once at a time, and closing it without the magic
// character leaves it running (the kernel says "watchdog did not stop!"),
// so the handover passes the open file itself, at a fixed descriptor.
package watchdog

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// PetInterval is how often Keep pets: well inside any timeout ros sets.
const PetInterval = 10 * time.Second

// Dog is an armed watchdog.
type Dog struct {
	f *os.File
}

// Open opens the watchdog device dev and sets its timeout in seconds.
func Open(dev string, timeout int) (*Dog, error) {
	f, err := os.OpenFile(dev, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	d := &Dog{f: f}
	if err := d.SetTimeout(timeout); err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// Inherited adopts the watchdog that the process before exec handed over at
// descriptor fd (see HandOver), marks it close-on-exec so that no child
// inherits it, and sets its timeout. It reports false when fd is not a
// watchdog (nothing was handed over); descriptors 0 to 2 never are.
func Inherited(fd, timeout int) (*Dog, bool) {
	if fd <= 2 {
		return nil, false
	}
	if _, err := unix.IoctlGetWatchdogInfo(fd); err != nil {
		return nil, false
	}
	unix.CloseOnExec(fd)
	d := &Dog{f: os.NewFile(uintptr(fd), "watchdog")}
	_ = d.SetTimeout(timeout) // if refused, it runs on with the old timeout: still a watchdog
	return d, true
}

// SetTimeout sets the time in seconds after which the machine resets
// unless the watchdog is petted.
func (d *Dog) SetTimeout(seconds int) error {
	if err := unix.IoctlSetPointerInt(int(d.f.Fd()), unix.WDIOC_SETTIMEOUT, seconds); err != nil {
		return fmt.Errorf("setting the watchdog's timeout to %d s: %w", seconds, err)
	}
	return nil
}

// Pet restarts the watchdog's timer.
func (d *Dog) Pet() error {
	return unix.IoctlWatchdogKeepalive(int(d.f.Fd()))
}

// Keep pets the watchdog every PetInterval for as long as the process runs.
func (d *Dog) Keep() {
	go func() {
		for {
			_ = d.Pet()
			time.Sleep(PetInterval)
		}
	}()
}

// HandOver pets the watchdog once more and puts a copy of it at descriptor
// fd, open across exec, for the next program to adopt with Inherited. fd
// must be free: a descriptor in use is never replaced.
func (d *Dog) HandOver(fd int) error {
	_ = d.Pet()
	got, err := unix.FcntlInt(d.f.Fd(), unix.F_DUPFD, fd)
	if err != nil {
		return fmt.Errorf("handing the watchdog over: %w", err)
	}
	if got != fd {
		unix.Close(got)
		return fmt.Errorf("handing the watchdog over: descriptor %d is in use", fd)
	}
	return nil
}
