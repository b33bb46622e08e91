//go:build !initramfs

package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/contract"
)

// systemDocker runs the docker CLI against System Docker.
func systemDocker(args []string) int {
	argv := append([]string{"docker", "--host", "unix://" + contract.SystemDockerSock}, args...)
	err := unix.Exec("/usr/bin/docker", argv, os.Environ())
	fmt.Fprintln(os.Stderr, "system-docker:", err)
	return 1
}
