package rosinit

import "github.com/ros-os/ros/internal/kmsg"

func newLogger() logger { return kmsg.New("ros-init: ") }
