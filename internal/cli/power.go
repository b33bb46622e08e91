package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newRebootCmd() *cobra.Command {
	return powerCmd("reboot", "Stop User Docker, the services and System Docker in order, then reboot", unix.SIGTERM)
}

func newPoweroffCmd() *cobra.Command {
	return powerCmd("poweroff", "Stop User Docker, the services and System Docker in order, then power off", unix.SIGUSR2)
}

// powerCmd asks PID 1 (ros init) to shut down with the given signal.
func powerCmd(use, short string, sig unix.Signal) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := unix.Kill(1, sig); err != nil {
				return fmt.Errorf("asking init to %s (are you root on ros?): %w", use, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: init is stopping the system\n", use)
			return nil
		},
	}
}
