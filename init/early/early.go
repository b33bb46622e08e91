// Package early is the initramfs stage of ros: PID 1 from the kernel's
// start until the root slot is mounted. It loads the disk drivers, finds the
// slot and STATE by partition label, checks and mounts STATE (never
// formatting it), lays the writable places over the read-only slot and
// switches root to it, where /sbin/init (the full ros binary) becomes the
// system stage.
//
// The stage is a table of small steps. Pure parts (the command line, uevent
// files, e2fsck exit codes, the mount table) are functions over data; the
// syscalls sit in the steps.
package early

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/kmsg"
	"github.com/ros-os/ros/internal/watchdog"
)

// Paths in the initramfs.
const (
	sysroot     = contract.Sysroot
	modulesList = contract.InitramfsModules
	modulesDir  = "/usr/lib/modules"
)

// step is one stage of the initramfs; they run in table order.
type step struct {
	name string
	run  func(*boot) error
}

// boot is what the steps share.
type boot struct {
	log      *kmsg.Logger
	args     map[string]string // the kernel command line
	rootDev  string            // /dev/NAME of the root slot
	stateDev string            // /dev/NAME of STATE, "" if not found
	degraded *degraded         // why STATE is a tmpfs; nil when it is mounted
	dog      *watchdog.Dog     // the hardware watchdog, handed to PID 1; nil if none
	uptimes  []milestone
}

var steps = []step{
	{"mounting /proc, /sys, /dev and /run", mountInitramfs},
	{"reading the kernel command line", readCmdline},
	{"loading kernel modules", loadModules},
	{"arming the watchdog", armWatchdog},
	{"mounting efivarfs", mountEFIVars},
	{"finding the root slot", live(findRoot, findLiveMedium)},
	{"finding STATE", live(findState, nil)},
	{"growing STATE to the end of its disk", live(growState, nil)},
	{"mounting the root slot", live(mountSlot, mountLive)},
	{"checking STATE", live(checkState, nil)},
	{"mounting STATE", live(mountState, mountLiveState)},
	{"crediting the random seed", live(creditSeed, nil)},
	{"loading overlay from the root slot", loadOverlay},
	{"mounting the writable places", mountWritable},
	{"moving the live medium into the root", live(func(*boot) error { return nil }, moveMedium)},
	{"recording the boot for the system stage", recordBoot},
	{"switching to the root slot", switchRoot},
}

// Main runs the initramfs stage and never returns: the last step execs
// /sbin/init. On a fatal error it logs to the console and the kernel log,
// waits 10 s so a person can read it, and reboots: the boot loader counts
// the try, and falls back to the other slot once a trial slot has none
// left; a machine that powered off would stay dark while tries remain.
func Main() {
	b := &boot{log: newLogger()}
	defer func() {
		if r := recover(); r != nil {
			b.fatal(fmt.Errorf("panic: %v\n%s", r, debug.Stack()))
		}
	}()
	for _, s := range steps {
		if err := s.run(b); err != nil {
			b.fatal(fmt.Errorf("%s: %w", s.name, err))
		}
	}
	b.fatal(errors.New("switching root returned"))
}

// fatal reports err and reboots. It never returns.
func (b *boot) fatal(err error) {
	b.log.Banner("ros: BOOT FAILED in the initramfs", err.Error(), "rebooting in 10 s")
	time.Sleep(10 * time.Second)
	b.halt(unix.LINUX_REBOOT_CMD_RESTART)
}

// halt syncs and reboots or powers off. It never returns: PID 1 exiting
// panics the kernel.
func (b *boot) halt(cmd int) {
	unix.Sync()
	if err := unix.Reboot(cmd); err != nil {
		b.log.Printf("reboot(2) failed: %v", err)
	}
	for {
		time.Sleep(time.Hour) // not select{}: the runtime calls that a deadlock and exits
	}
}
