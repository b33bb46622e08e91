// Command ros is the multi-call binary of the ros OS: run as PID 1 (or as
// "init") it is the init; run as anything else it is the ros CLI.
package main

import (
	"os"

	"github.com/ros-os/ros/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args))
}
