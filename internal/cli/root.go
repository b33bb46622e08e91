// Package cli is the ros command line: one cobra constructor per command.
package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	rosinit "github.com/ros-os/ros/init"
)

// Main dispatches on how the binary was started and returns the exit code.
func Main(args []string) int {
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
	cmd := newRootCmd()
	cmd.SetArgs(args[1:])
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "ros:", err)
		return exitCode(err)
	}
	return 0
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "ros",
		Short:         "ros: an image-based container operating system",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCmd(), newInstallCmd(), newServiceCmd(), newRebootCmd(), newPoweroffCmd(),
		newUserDockerCmd(), newConsoleCmd(), newOSCmd(), newConfigCmd(), newNetworkCmd())
	return root
}

// exitCode maps errors users act on to distinct exit codes.
func exitCode(err error) int {
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return 1
}
