// Package rosinit is PID 1 of ros. Package name differs from the folder
// because "init" is reserved in Go.
package rosinit

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/buildinfo"
)

// step is one stage of bringing the system up; they run in table order.
type step struct {
	name string
	run  func(*state) error
}

// state is what the steps share.
type state struct {
	log     *logger
	cmdline Cmdline
}

var steps = []step{
	{"mounting /proc, /sys and /dev", mountEarly},
	{"reading the kernel command line", readCmdline},
	{"announcing", announce},
}

// Main runs the boot steps. It never returns an error to the caller: on a
// fatal error it logs and powers off (later: reverts the boot entry).
func Main() {
	st := &state{log: newLogger()}
	for _, s := range steps {
		if err := s.run(st); err != nil {
			st.log.Printf("FATAL: %s: %v", s.name, err)
			break
		}
	}
	shutdown(st, unix.LINUX_REBOOT_CMD_POWER_OFF)
}

func mountEarly(st *state) error {
	mounts := []struct{ src, dst, fstype string }{
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
		{"devtmpfs", "/dev", "devtmpfs"},
	}
	for _, m := range mounts {
		if err := os.MkdirAll(m.dst, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", m.dst, err)
		}
		if err := unix.Mount(m.src, m.dst, m.fstype, 0, ""); err != nil && err != unix.EBUSY {
			return fmt.Errorf("mounting %s: %w", m.dst, err)
		}
	}
	st.log = newLogger() // /dev/kmsg exists now
	return nil
}

func readCmdline(st *state) error {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return fmt.Errorf("reading /proc/cmdline: %w", err)
	}
	st.cmdline = ParseCmdline(string(b))
	return nil
}

func announce(st *state) error {
	st.log.Printf("%s", buildinfo.String())
	slot := st.cmdline.Slot
	if slot == "" {
		slot = "(none given)"
	}
	st.log.Printf("booting slot %s, root %s", slot, st.cmdline.Root)
	return nil
}

func shutdown(st *state, cmd int) {
	unix.Sync()
	st.log.Printf("powering off")
	if err := unix.Reboot(cmd); err != nil {
		st.log.Printf("reboot(2) failed: %v", err)
		select {}
	}
}
