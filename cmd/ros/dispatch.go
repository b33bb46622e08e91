//go:build !initramfs

package main

import (
	"fmt"
	"os"
	"path/filepath"

	rosinit "github.com/ros-os/ros/init"
	"github.com/ros-os/ros/internal/cli"
)

// dispatch runs what the binary was started as and returns the exit code.
func dispatch(args []string) int {
	switch {
	case os.Getpid() == 1:
		rosinit.Main()
		return 0
	case filepath.Base(args[0]) == "sudo":
		return sudo(args[1:])
	}
	if err := dropSetuid(); err != nil {
		fmt.Fprintln(os.Stderr, "ros:", err)
		return 1
	}
	if filepath.Base(args[0]) == "system-docker" {
		return systemDocker(args[1:])
	}
	return cli.Run(args[1:], os.Stdout, os.Stderr)
}
