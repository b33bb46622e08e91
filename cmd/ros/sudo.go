//go:build !initramfs

package main

import (
	"fmt"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/contract"
)

// adminGID is the docker group: its members already control both Docker
// daemons, which is root in all but name, so they may also run commands as
// root, as the rancher user could with sudo on RancherOS.
const adminGID = contract.DockerGID

// The ros binary is installed setuid root so that it can be sudo. Every
// other use drops the privilege first thing.
func dropSetuid() error {
	if uid, euid := os.Getuid(), os.Geteuid(); uid != euid {
		gid := os.Getgid()
		if err := unix.Setresgid(gid, gid, gid); err != nil {
			return fmt.Errorf("dropping privileges: %w", err)
		}
		if err := unix.Setresuid(uid, uid, uid); err != nil {
			return fmt.Errorf("dropping privileges: %w", err)
		}
	}
	return nil
}

// sudo runs a command as root for root and members of the docker group.
func sudo(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: sudo COMMAND [ARG...]")
		return 2
	}
	if !mayAdmin() {
		_ = dropSetuid()
		fmt.Fprintln(os.Stderr, "sudo: only root and members of the docker group may run commands as root")
		return 1
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "sudo:", err)
		return 127
	}
	if err := becomeRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "sudo:", err)
		return 1
	}
	err = unix.Exec(path, args, os.Environ())
	fmt.Fprintln(os.Stderr, "sudo:", err)
	return 126
}

func mayAdmin() bool {
	if os.Getuid() == 0 {
		return true
	}
	groups, _ := os.Getgroups()
	for _, g := range append(groups, os.Getgid()) {
		if g == adminGID {
			return true
		}
	}
	return false
}

func becomeRoot() error {
	if err := unix.Setgroups([]int{0}); err != nil {
		return fmt.Errorf("becoming root (is ros installed setuid?): %w", err)
	}
	if err := unix.Setresgid(0, 0, 0); err != nil {
		return fmt.Errorf("becoming root: %w", err)
	}
	return unix.Setresuid(0, 0, 0)
}
