// Package kmsg is how ros's init stages log: each line to the console and,
// at debug level so the console does not show it twice, to the kernel log.
package kmsg

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Logger writes prefixed lines to the console and /dev/kmsg.
type Logger struct {
	console, kmsg io.Writer
	prefix        string
}

// New opens /dev/kmsg if it exists; call it again once /dev is mounted.
func New(prefix string) *Logger {
	l := &Logger{console: os.Stdout, kmsg: io.Discard, prefix: prefix}
	if k, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0); err == nil {
		l.kmsg = k
	}
	return l
}

// Printf logs one line.
func (l *Logger) Printf(format string, a ...any) {
	msg := l.prefix + fmt.Sprintf(format, a...) + "\n"
	_, _ = io.WriteString(l.console, msg)
	_, _ = io.WriteString(l.kmsg, "<7>"+msg)
}

// Banner prints lines in a frame that stands out on a scrolling console.
// The kernel log gets them as one record: /dev/kmsg rate-limits writers.
func (l *Logger) Banner(lines ...string) {
	_, _ = io.WriteString(l.console, Frame(lines))
	_, _ = io.WriteString(l.kmsg, "<7>"+l.prefix+strings.Join(lines, " | ")+"\n")
}

// Frame draws the banner's frame around lines.
func Frame(lines []string) string {
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
