package rosinit

import (
	"fmt"
	"io"
	"os"
)

// logger writes init's messages to the console and to the kernel log. The
// kernel log copy is at debug level so the console does not show it twice.
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

func (l *logger) Printf(format string, a ...any) {
	msg := fmt.Sprintf("ros-init: "+format+"\n", a...)
	_, _ = io.WriteString(l.console, msg)
	_, _ = io.WriteString(l.kmsg, "<7>"+msg)
}
