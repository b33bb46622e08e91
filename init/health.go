package rosinit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ros-os/ros/internal/bootlog"
	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/slot"
)

// BootReport is /run/ros/boot.json: what this boot reached and when.
type BootReport struct {
	Version    string            `json:"version"`
	Slot       slot.Slot         `json:"slot"`
	Healthy    bool              `json:"healthy"`
	Failed     string            `json:"failed,omitempty"`
	Milestones []Milestone       `json:"milestones"`
	Steps      []bootlog.Step    `json:"steps"` // ros boot-log prints them
	Services   map[string]string `json:"services"`
	State      string            `json:"state"` // "ok" or why STATE is degraded
	MemUsedMB  int               `json:"mem_used_mb"`
}

// waitUserDocker waits for User Docker's API, failing at once if its
// service dies, and loads the user images it lacks.
func waitUserDocker(ctx context.Context, st *state) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cli, err := st.opts.userDocker(wctx, serviceDied(wctx, st, "docker"))
	if err != nil {
		return fmt.Errorf("User Docker: %w", err)
	}
	if c, ok := cli.(io.Closer); ok {
		defer c.Close()
	}
	st.mark("user-docker")
	return loadLayout(ctx, st, cli, st.opts.UserImages)
}

// checkHealth is the gate: STATE is the real one, System Docker answers
// and every long-running service is running. (User Docker answered in the
// step before.) A machine on the tmpfs stand-in for STATE loses what users
// write at the next boot: a new slot that comes up like that is not kept.
func checkHealth(ctx context.Context, st *state) error {
	if b, err := os.ReadFile(st.opts.StateDegraded); err == nil {
		why, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		return fmt.Errorf("STATE is not mounted (%s)", why)
	}
	if _, err := st.sys.Ping(ctx); err != nil {
		return fmt.Errorf("System Docker: %w", err)
	}
	if err := waitAddress(ctx, st); err != nil {
		return err
	}
	if err := sshdAnswers(ctx, st); err != nil {
		return err
	}
	if len(st.serviceErrs) > 0 {
		return fmt.Errorf("%d services failed to start: %w", len(st.serviceErrs), errors.Join(st.serviceErrs...))
	}
	before, err := serviceRestarts(ctx, st)
	if err != nil {
		return err
	}
	time.Sleep(st.opts.healthSettle) // a crash-looping service shows up as restarts
	after, err := serviceRestarts(ctx, st)
	if err != nil {
		return err
	}
	for name, n := range after {
		if n != before[name] {
			return fmt.Errorf("service %s keeps restarting", name)
		}
	}
	if err := sshdAnswers(ctx, st); err != nil { // still: not a crash loop
		return err
	}
	st.mark("healthy")
	return nil
}

// healthSettle is how long services must stay up without a restart.
const healthSettle = 2 * time.Second

// netWait is how long the gate waits for a configured interface's address
// (DHCP) and for sshd to answer.
const netWait = 60 * time.Second

// waitAddress: with interfaces in ros.network.interfaces, one of them must
// have a global address (a machine that cannot be reached is not healthy);
// with none configured, the default DHCP is best effort.
func waitAddress(ctx context.Context, st *state) error {
	var names []string
	for name := range st.cfg.Ros.Network.Interfaces {
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return poll(ctx, st.opts.netWait, func() bool {
		for _, name := range names {
			addrs, _ := st.opts.ifaceAddrs(name)
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok && ipn.IP.IsGlobalUnicast() {
					return true
				}
			}
		}
		return false
	}, func() error {
		return fmt.Errorf("network: no address on %s after %s (ros.network.interfaces)", strings.Join(names, ", "), st.opts.netWait)
	})
}

// sshdAnswers: with ssh keys configured, sshd must answer on port 22 with
// its banner (the keys are how the machine is reached).
func sshdAnswers(ctx context.Context, st *state) error {
	if len(st.cfg.SSHAuthorizedKeys) == 0 {
		return nil
	}
	var last error
	return poll(ctx, st.opts.netWait, func() bool {
		last = sshBanner(ctx, st)
		return last == nil
	}, func() error {
		return fmt.Errorf("sshd: no answer on port 22 after %s: %v", st.opts.netWait, last)
	})
}

func sshBanner(ctx context.Context, st *state) error {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := st.opts.dial(dctx, "127.0.0.1:22")
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4)
	if _, err := io.ReadFull(c, b); err != nil {
		return fmt.Errorf("reading the banner: %w", err)
	}
	if string(b) != "SSH-" {
		return fmt.Errorf("not an ssh banner: %q", b)
	}
	return nil
}

// poll calls ok every half second until it returns true (nil), timeout
// passes or ctx ends (fail()).
func poll(ctx context.Context, timeout time.Duration, ok func() bool, fail func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		if ok() {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fail()
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// serviceRestarts checks every long-running service is running and returns
// their restart counts.
func serviceRestarts(ctx context.Context, st *state) (map[string]int, error) {
	counts := map[string]int{}
	for _, name := range st.services {
		info, err := st.sys.ContainerInspect(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", name, err)
		}
		if !info.State.Running || info.State.Restarting {
			return nil, fmt.Errorf("service %s is %s", name, info.State.Status)
		}
		counts[name] = info.RestartCount
	}
	return counts, nil
}

func writeBootJSON(st *state) {
	r := BootReport{Version: buildinfo.Version, Slot: st.cmdline.Slot, Healthy: st.failed == "",
		Failed: st.failed, Milestones: st.milestones, Steps: st.steps, Services: map[string]string{}, State: "ok", MemUsedMB: st.opts.proc.MemUsedMB()}
	if b, err := os.ReadFile(st.opts.StateDegraded); err == nil {
		r.State = string(b)
	}
	if st.sys != nil {
		for _, name := range st.services {
			if info, err := st.sys.ContainerInspect(context.Background(), name); err == nil {
				r.Services[name] = info.State.Status
			}
		}
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(st.opts.BootJSON, append(b, '\n'), 0o644); err != nil {
		st.log.Printf("writing %s: %v", st.opts.BootJSON, err)
	}
	switch {
	case r.Healthy && st.cmdline.Has(contract.LiveArg):
		st.log.Printf("ros %s is up live, from the medium: System Docker, %d services and User Docker are healthy; %d MB in use. "+
			"Nothing written here is kept: to install, sudo ros install -d DISK [-c cloud-config.yml]", r.Version, len(st.services), r.MemUsedMB)
	case r.Healthy:
		st.log.Printf("ros %s is up on slot %s: System Docker, %d services and User Docker are healthy; %d MB in use",
			r.Version, r.Slot, len(st.services), r.MemUsedMB)
	}
}

// serviceDied is closed when the named service container stops running or
// restarts, so waiting for User Docker fails at once when its service does.
func serviceDied(ctx context.Context, st *state, name string) <-chan struct{} {
	dead := make(chan struct{})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			info, err := st.sys.ContainerInspect(ctx, name)
			if err != nil || !info.State.Running || info.State.Restarting || info.RestartCount > 0 {
				close(dead)
				return
			}
		}
	}()
	return dead
}
