package rosinit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

func loadModules(_ context.Context, st *state) error {
	b, err := os.ReadFile(st.opts.ModulesFile)
	if err != nil {
		return fmt.Errorf("reading the module list: %w", err)
	}
	rel, err := kmod.Release()
	if err != nil {
		return err
	}
	return st.opts.loadKmods(filepath.Join(st.opts.KernelModules, rel), strings.Fields(string(b))...)
}
