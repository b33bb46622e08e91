//go:build initramfs

package main

import "github.com/ros-os/ros/init/early"

func main() {
	early.Main()
}
