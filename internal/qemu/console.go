package qemu

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Console collects what the VM prints and lets tests wait for patterns.
type Console struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	pos    int // where the next Expect starts looking
	closed bool
	log    io.Writer
}

func newConsole(log io.Writer) *Console {
	c := &Console{log: log}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.buf = append(c.buf, p...)
	c.mu.Unlock()
	c.cond.Broadcast()
	if c.log != nil {
		_, _ = c.log.Write(p)
	}
	return len(p), nil
}

func (c *Console) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cond.Broadcast()
}

// Expect waits until the output after the previous match matches re, and
// returns the submatches. It fails when the timeout passes or QEMU exits.
func (c *Console) Expect(re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	timer := time.AfterFunc(timeout, c.cond.Broadcast)
	defer timer.Stop()
	deadline := time.Now().Add(timeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if loc := re.FindSubmatchIndex(c.buf[c.pos:]); loc != nil {
			m := submatches(c.buf[c.pos:], loc)
			c.pos += loc[1]
			return m, nil
		}
		switch {
		case c.closed:
			return nil, fmt.Errorf("waiting for %q: %w", re, ErrExited)
		case time.Now().After(deadline):
			return nil, fmt.Errorf("waiting for %q: no match after %s", re, timeout)
		}
		c.cond.Wait()
	}
}

func submatches(b []byte, loc []int) []string {
	m := make([]string, len(loc)/2)
	for i := range m {
		if loc[2*i] >= 0 {
			m[i] = string(b[loc[2*i]:loc[2*i+1]])
		}
	}
	return m
}

// Tail returns the last n lines printed, for failure messages.
func (c *Console) Tail(n int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(c.buf), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// String is everything printed so far.
func (c *Console) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}

// Len is how much has been printed so far.
func (c *Console) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.buf)
}

// After is what was printed after the first mark bytes.
func (c *Console) After(mark int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if mark > len(c.buf) {
		return ""
	}
	return string(c.buf[mark:])
}
