// Package cli is the ros command line: one cobra constructor per command.
// Commands parse flags, call a library package and print; the domain logic
// lives in those packages.
package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Run runs the ros command line with args (without the program name) and
// returns the exit code; errors go to stderr as one "ros: ..." line.
func Run(args []string, stdout, stderr io.Writer) int {
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(stderr, "ros:", err)
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
		newUserDockerCmd(), newConsoleCmd(), newOSCmd(), newConfigCmd(), newNetworkCmd(), newBootLogCmd())
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
