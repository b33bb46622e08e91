package rosinit

import (
	"fmt"
	"io"
	"os"
)

// logger writes init's messages to the console and to the kernel log.
type logger struct{ outs []io.Writer }

func newLogger() *logger {
	l := &logger{outs: []io.Writer{os.Stdout}}
	if kmsg, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0); err == nil {
		l.outs = append(l.outs, kmsg)
	}
	return l
}

func (l *logger) Printf(format string, a ...any) {
	msg := fmt.Sprintf("ros-init: "+format+"\n", a...)
	for _, w := range l.outs {
		_, _ = io.WriteString(w, msg)
	}
}
