package cli

import (
	"github.com/spf13/cobra"

	"github.com/ros-os/ros/internal/bootlog"
	"github.com/ros-os/ros/internal/contract"
)

func newBootLogCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "boot-log",
		Short: "Print this boot's timeline: each step of PID 1 with its start and duration, and the milestones",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := bootlog.Read(contract.BootJSON)
			if err != nil {
				return err
			}
			return bootlog.Write(cmd.OutOrStdout(), t)
		},
	}
}
