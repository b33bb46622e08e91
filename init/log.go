package rosinit

import "github.com/ros-os/ros/internal/kmsg"

func newLogger() *kmsg.Logger { return kmsg.New("ros-init: ") }
