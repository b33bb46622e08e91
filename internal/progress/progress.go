// Package progress reports how far a long copy has got: a progress bar on a
// terminal, a plain line every 10% otherwise, nothing when no writer is set.
package progress

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// New returns a writer that counts bytes towards total and reports on out.
// Wrap the destination of a copy with io.MultiWriter(dst, p).
func New(out io.Writer, total int64, what string) io.Writer {
	if out == nil {
		return io.Discard
	}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return progressbar.NewOptions64(total, progressbar.OptionSetWriter(out),
			progressbar.OptionSetDescription(what), progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30), progressbar.OptionThrottle(200e6),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(out) }))
	}
	return &lines{out: out, total: total, what: what}
}

// lines prints "what: 30% (64 of 213 MB)" at each 10% step.
type lines struct {
	out         io.Writer
	total, done int64
	what        string
	step        int64
}

func (l *lines) Write(p []byte) (int, error) {
	l.done += int64(len(p))
	if l.total <= 0 {
		return len(p), nil
	}
	for pct := l.done * 100 / l.total; l.step+10 <= pct && l.step < 100; {
		l.step += 10
		fmt.Fprintf(l.out, "%s: %d%% (%d of %d MB)\n", l.what, l.step, l.done>>20, l.total>>20)
	}
	return len(p), nil
}
