package cli

import (
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/spf13/cobra"

	"github.com/ros-os/ros/internal/rospath"
)

func newServiceCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "service", Short: "List system services and show their logs"}
	cmd.AddCommand(newServiceListCmd(), newServiceLogsCmd())
	return cmd
}

func systemDockerClient() (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.WithHost("unix://"+rospath.SystemDockerSock), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("connecting to System Docker: %w", err)
	}
	return cli, nil
}

func newServiceListCmd() *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List the system services and their state", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cli, err := systemDockerClient()
			if err != nil {
				return err
			}
			defer cli.Close()
			list, err := cli.ContainerList(cmd.Context(), container.ListOptions{All: true,
				Filters: filters.NewArgs(filters.Arg("label", "io.ros.service"))})
			if err != nil {
				return fmt.Errorf("listing services (is System Docker running?): %w", err)
			}
			sort.Slice(list, func(i, j int) bool { return list[i].Labels["io.ros.service"] < list[j].Labels["io.ros.service"] })
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SERVICE\tSTATE\tSTATUS\tIMAGE")
			for _, c := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Labels["io.ros.service"], c.State, c.Status, c.Image)
			}
			return w.Flush()
		},
	}
}

func newServiceLogsCmd() *cobra.Command {
	var follow bool
	var tail string
	cmd := &cobra.Command{
		Use: "logs NAME", Short: "Show a system service's logs", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cli, err := systemDockerClient()
			if err != nil {
				return err
			}
			defer cli.Close()
			rc, err := cli.ContainerLogs(cmd.Context(), args[0], container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Tail: tail})
			if err != nil {
				return fmt.Errorf("reading logs of %s (see ros service list): %w", args[0], err)
			}
			defer rc.Close()
			_, err = stdcopy.StdCopy(cmd.OutOrStdout(), cmd.ErrOrStderr(), rc)
			return err
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines")
	cmd.Flags().StringVar(&tail, "tail", "all", "number of lines from the end")
	return cmd
}
