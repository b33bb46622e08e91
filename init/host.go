package rosinit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ros-os/ros/init/kmod"
	"github.com/ros-os/ros/internal/contract"
)

func setupHost(_ context.Context, st *state) error {
	name := "ros"
	if b, err := os.ReadFile(st.opts.Hostname); err == nil && strings.TrimSpace(string(b)) != "" {
		name = strings.TrimSpace(string(b))
	}
	if st.cfg.Hostname != "" {
		name = st.cfg.Hostname
	}
	if err := st.opts.sethostname([]byte(name)); err != nil {
		return fmt.Errorf("setting the hostname: %w", err)
	}
	if err := st.opts.reaper.Run(exec.Command("ip", "link", "set", "lo", "up")); err != nil {
		return fmt.Errorf("bringing up lo: %w", err)
	}
	return linkResolvConf(st.opts.ResolvConf)
}

// linkResolvConf points /etc/resolv.conf (at path) at the file the network
// service writes, unless the user replaced it with a file of their own.
func linkResolvConf(path string) error {
	if target, err := os.Readlink(path); err == nil && target == contract.Resolv {
		return nil
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		return nil
	}
	_ = os.Remove(path)
	if err := os.Symlink(contract.Resolv, path); err != nil {
		return fmt.Errorf("linking /etc/resolv.conf: %w", err)
	}
	return nil
}

// earlyModules are the modules of the image's list that PID 1 needs before
// System Docker answers: its graph driver (overlay2) and the watchdog.
// loadModules loads the rest in the background while System Docker starts
// (1.8 s of finit_module under TCG for the netfilter, IPVS and bridge
// modules); whatever needs them waits (waitModules).
var earlyModules = []string{"overlay", "i6300esb"}

func loadModules(_ context.Context, st *state) error {
	b, err := os.ReadFile(st.opts.ModulesFile)
	if err != nil {
		return fmt.Errorf("reading the module list: %w", err)
	}
	rel, err := kmod.Release()
	if err != nil {
		return err
	}
	dir := filepath.Join(st.opts.KernelModules, rel)
	early, rest := splitModules(strings.Fields(string(b)), earlyModules)
	if len(early) > 0 {
		if err := st.opts.loadKmods(dir, early...); err != nil {
			return err
		}
	}
	bg := &background{done: make(chan struct{})}
	st.modules = bg
	go func() {
		defer close(bg.done)
		if len(rest) > 0 {
			bg.err = st.opts.loadKmods(dir, rest...)
		}
	}()
	return nil
}

// splitModules splits names into those in early, in early's order, and
// the others, in their order.
func splitModules(names, early []string) (first, rest []string) {
	in := map[string]bool{}
	for _, n := range names {
		in[n] = true
	}
	for _, n := range early {
		if in[n] {
			first = append(first, n)
		}
	}
	for _, n := range names {
		if !slices.Contains(early, n) {
			rest = append(rest, n)
		}
	}
	return first, rest
}

// background is work a step started and left running.
type background struct {
	done chan struct{}
	err  error
}

// waitModules waits for the modules loadModules left to the background: the
// services need them (network: the NIC drivers; User Docker: netfilter and
// the bridge), and so do the cloud-config's sysctls.
func waitModules(ctx context.Context, st *state) error {
	if st.modules == nil {
		return nil
	}
	select {
	case <-st.modules.done:
		return st.modules.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
