// Package dockerd runs a Docker daemon under PID 1: it starts it, waits for
// its API while checking the process is still alive, restarts it if it dies,
// and stops it on shutdown.
package dockerd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/client"
	"golang.org/x/sys/unix"
)

// Starter starts a command and returns its exit status channel (PID 1's
// reaper; exec.Cmd.Wait elsewhere).
type Starter interface {
	Start(*exec.Cmd) (<-chan unix.WaitStatus, error)
}

// Daemon is one supervised dockerd.
type Daemon struct {
	Name   string   // "System Docker"
	Binary string   // default /usr/sbin/dockerd
	Socket string   // unix socket path
	LogDir string   // dockerd's output goes to LogDir/<socket dir>.log; default /var/log
	Args   []string // dockerd arguments (the socket's -H is added)
	Env    []string
	Logf   func(format string, a ...any)
	Start  Starter

	mu       sync.Mutex
	cur      *process
	stopping bool
	stopped  chan struct{} // closed when the supervisor has seen the last exit
}

// process is one run of dockerd; dead is closed when it has exited.
type process struct {
	cmd  *exec.Cmd
	dead chan struct{}
	ws   unix.WaitStatus
}

// ErrDied: dockerd exited before its API answered.
var ErrDied = errors.New("dockerd exited")

// Run starts dockerd and returns once its API answers, or fails if the
// process dies or timeout passes. From the start it is supervised: if it
// exits, it is restarted after a second, until Stop.
func (d *Daemon) Run(ctx context.Context, timeout time.Duration) (*client.Client, error) {
	d.stopped = make(chan struct{})
	p, err := d.spawn()
	if err != nil {
		close(d.stopped)
		return nil, err
	}
	go d.supervise(p)
	cli, err := client.NewClientWithOpts(client.WithHost("unix://"+d.Socket), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", d.Name, err)
	}
	if err := WaitAPI(ctx, cli, p.dead, timeout); err != nil {
		return nil, fmt.Errorf("starting %s: %w", d.Name, err)
	}
	return cli, nil
}

func (d *Daemon) spawn() (*process, error) {
	if err := os.MkdirAll(dirOf(d.Socket), 0o755); err != nil {
		return nil, fmt.Errorf("starting %s: %w", d.Name, err)
	}
	bin := d.Binary
	if bin == "" {
		bin = "/usr/sbin/dockerd"
	}
	cmd := exec.Command(bin, append([]string{"--host=unix://" + d.Socket}, d.Args...)...)
	cmd.Env = append(os.Environ(), d.Env...)
	logf := logFile(d.LogDir, d.Socket)
	if logf != nil {
		cmd.Stdout, cmd.Stderr = logf, logf
		defer logf.Close() // the child has its own copy; STATE must go read-only at shutdown
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	ch, err := d.Start.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", d.Name, err)
	}
	p := &process{cmd: cmd, dead: make(chan struct{})}
	go func() { p.ws = <-ch; close(p.dead) }()
	d.mu.Lock()
	d.cur = p
	d.mu.Unlock()
	return p, nil
}

// supervise restarts dockerd when it exits, unless it is being stopped.
func (d *Daemon) supervise(p *process) {
	defer close(d.stopped)
	for {
		<-p.dead
		d.mu.Lock()
		stopping := d.stopping
		d.mu.Unlock()
		if stopping {
			return
		}
		d.Logf("%s exited (status %d): restarting it", d.Name, p.ws.ExitStatus())
		time.Sleep(time.Second)
		var err error
		if p, err = d.spawn(); err != nil {
			d.Logf("%v", err)
			return
		}
	}
}

// Stop sends SIGTERM and waits up to timeout for dockerd to exit, then kills it.
func (d *Daemon) Stop(timeout time.Duration) {
	d.mu.Lock()
	d.stopping = true
	p := d.cur
	d.mu.Unlock()
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(unix.SIGTERM)
	select {
	case <-d.stopped:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-d.stopped
	}
}

// WaitAPI polls the API until it answers, failing at once if the process
// exits and after timeout otherwise.
func WaitAPI(ctx context.Context, cli client.APIClient, dead <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := cli.Ping(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-dead:
			return fmt.Errorf("%w before its API answered", ErrDied)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("API not ready after %s: %w", timeout, err)
		}
	}
}

func dirOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return "."
}

// logFile is where dockerd's own output goes: /var/log/<socket dir name>.log.
func logFile(dir, socket string) *os.File {
	if dir == "" {
		dir = "/var/log"
	}
	name := dir + "/" + baseOf(dirOf(socket)) + ".log"
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil
	}
	return f
}

func baseOf(p string) string { return p[len(dirOf(p))+1:] }
