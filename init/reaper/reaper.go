// Package reaper is PID 1's child handling: it reaps every child (zombies
// of orphans included) and hands the exit status of the children it started
// to whoever waits for them. Nothing else in PID 1 may call wait(2).
package reaper

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// Reaper reaps children on SIGCHLD.
type Reaper struct {
	mu      sync.Mutex
	waiting map[int]chan unix.WaitStatus
	early   map[int]unix.WaitStatus // exited before Start registered them
}

// New starts reaping. A process must have one Reaper: it waits for any
// child, so two would take each other's exit statuses.
func New() *Reaper {
	r := &Reaper{waiting: map[int]chan unix.WaitStatus{}, early: map[int]unix.WaitStatus{}}
	sig := make(chan os.Signal, 64)
	signal.Notify(sig, unix.SIGCHLD)
	go func() {
		for range sig {
			r.reap()
		}
	}()
	return r
}

func (r *Reaper) reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
		r.mu.Lock()
		if ch, ok := r.waiting[pid]; ok {
			ch <- ws
			delete(r.waiting, pid)
		} else {
			r.early[pid] = ws
		}
		r.mu.Unlock()
	}
}

// Start starts cmd and returns a channel that gets its exit status. Do not
// call cmd.Wait.
func (r *Reaper) Start(cmd *exec.Cmd) (<-chan unix.WaitStatus, error) {
	ch := make(chan unix.WaitStatus, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	if ws, ok := r.early[pid]; ok {
		delete(r.early, pid)
		ch <- ws
		return ch, nil
	}
	r.waiting[pid] = ch
	return ch, nil
}

// Run runs cmd to completion and returns an error unless it exits 0.
func (r *Reaper) Run(cmd *exec.Cmd) error {
	ch, err := r.Start(cmd)
	if err != nil {
		return err
	}
	if ws := <-ch; ws.ExitStatus() != 0 || ws.Signaled() {
		return fmt.Errorf("%s: %s", cmd.Path, describe(ws))
	}
	return nil
}

func describe(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}
