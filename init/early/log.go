package early

import (
	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/kmsg"
)

const logPrefix = "ros-initramfs: "

func newLogger() *kmsg.Logger { return kmsg.New(logPrefix) }

// ensureConsole gives PID 1 a stdin, stdout and stderr on /dev/console if
// the kernel could not open one (no /dev/console in the initramfs).
func ensureConsole() {
	var st unix.Stat_t
	if unix.Fstat(1, &st) == nil {
		return
	}
	fd, err := unix.Open("/dev/console", unix.O_RDWR, 0)
	if err != nil {
		return
	}
	for i := 0; i < 3; i++ {
		_ = unix.Dup3(fd, i, 0)
	}
	if fd > 2 {
		_ = unix.Close(fd)
	}
}
