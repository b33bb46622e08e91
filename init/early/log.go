package early

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// logger writes to the console and to the kernel log. The kernel log copy
// is at debug level so the console does not show it twice.
type logger struct {
	console io.Writer
	kmsg    io.Writer
}

func newLogger() *logger {
	l := &logger{console: os.Stdout, kmsg: io.Discard}
	if kmsg, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0); err == nil {
		l.kmsg = kmsg
	}
	return l
}

const logPrefix = "ros-initramfs: "

func (l *logger) Printf(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	_, _ = io.WriteString(l.console, logPrefix+msg+"\n")
	_, _ = io.WriteString(l.kmsg, "<7>"+logPrefix+msg+"\n")
}

// Banner prints lines in a frame that stands out on a scrolling console.
// The kernel log gets them as one record: /dev/kmsg rate-limits writers.
func (l *logger) Banner(lines ...string) {
	_, _ = io.WriteString(l.console, banner(lines))
	_, _ = io.WriteString(l.kmsg, "<7>"+logPrefix+strings.Join(lines, " | ")+"\n")
}

func banner(lines []string) string {
	rule := strings.Repeat("#", 72)
	var sb strings.Builder
	sb.WriteString("\n" + rule + "\n")
	for _, l := range lines {
		for _, s := range strings.Split(l, "\n") {
			sb.WriteString("#  " + s + "\n")
		}
	}
	sb.WriteString(rule + "\n\n")
	return sb.String()
}

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
