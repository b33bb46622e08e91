package rosinit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/init/kmod"
	"github.com/ros-os/ros/internal/contract"
)

func setupHost(_ context.Context, st *state) error {
	name := "ros"
	if b, err := os.ReadFile("/etc/hostname"); err == nil && strings.TrimSpace(string(b)) != "" {
		name = strings.TrimSpace(string(b))
	}
	if st.cfg.Hostname != "" {
		name = st.cfg.Hostname
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		return fmt.Errorf("setting the hostname: %w", err)
	}
	if err := st.reaper.Run(exec.Command("ip", "link", "set", "lo", "up")); err != nil {
		return fmt.Errorf("bringing up lo: %w", err)
	}
	return linkResolvConf()
}

// linkResolvConf points /etc/resolv.conf at the file the network service
// writes, unless the user replaced it with a file of their own.
func linkResolvConf() error {
	if target, err := os.Readlink("/etc/resolv.conf"); err == nil && target == contract.Resolv {
		return nil
	}
	if fi, err := os.Lstat("/etc/resolv.conf"); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		return nil
	}
	_ = os.Remove("/etc/resolv.conf")
	if err := os.Symlink(contract.Resolv, "/etc/resolv.conf"); err != nil {
		return fmt.Errorf("linking /etc/resolv.conf: %w", err)
	}
	return nil
}

func loadModules(_ context.Context, st *state) error {
	b, err := os.ReadFile(contract.ModulesFile)
	if err != nil {
		return fmt.Errorf("reading the module list: %w", err)
	}
	rel, err := kmod.Release()
	if err != nil {
		return err
	}
	return kmod.Load("/usr/lib/modules/"+rel, strings.Fields(string(b))...)
}
