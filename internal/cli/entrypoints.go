package cli

import (
	"github.com/spf13/cobra"

	"github.com/ros-os/ros/internal/configstore"
	"github.com/ros-os/ros/internal/entrypoint/console"
	"github.com/ros-os/ros/internal/entrypoint/network"
	"github.com/ros-os/ros/internal/entrypoint/userdocker"
)

// The entrypoints of the system services that run the ros binary.

func newNetworkCmd() *cobra.Command {
	return &cobra.Command{
		Use: "network", Short: "Configure the network from the cloud-config (the entrypoint of the network service)",
		Hidden: true, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := configstore.Default().AppliedConfig()
			if err != nil {
				return err
			}
			return network.Run(cmd.Context(), cfg.Ros.Network)
		},
	}
}

func newConsoleCmd() *cobra.Command {
	return &cobra.Command{
		Use: "console", Short: "Run the login consoles (the entrypoint of the console system service)",
		Hidden: true, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := configstore.Default().AppliedConfig()
			if err != nil {
				return err
			}
			return console.Run(cfg.Ros.Console.Autologin)
		},
	}
}

func newUserDockerCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "user-docker [DOCKERD ARGS]",
		Short:              "Run User Docker (the entrypoint of the docker system service)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return userdocker.Run(cmd.Context(), args)
		},
	}
}
