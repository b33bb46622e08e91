package cli

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/spf13/cobra"

	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/configstore"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/services"
	"github.com/ros-os/ros/internal/svcrun"
)

func newServiceCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "service", Short: "List, enable, start and stop system services",
		Long: `System services are the image's built-in ones, those of its catalog that are
enabled (ros service enable NAME), and those defined under ros.services in
the cloud-config. Each runs as a container of System Docker.`}
	store := configstore.Default()
	cmd.AddCommand(newServiceListCmd(store), newServiceLogsCmd(), newServiceEnableCmd(store, true),
		newServiceEnableCmd(store, false), newServiceUpCmd(store), newServiceStopCmd())
	return cmd
}

func systemDockerClient() (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.WithHost("unix://"+contract.SystemDockerSock), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("connecting to System Docker: %w", err)
	}
	return cli, nil
}

// serviceRow is one line of ros service list.
type serviceRow struct{ name, state, kind, image string }

// serviceRows lists every service the image and config know, with the
// state of its container ("-": none).
func serviceRows(cfg config.Config, all, builtin, catalog services.File, states map[string]string) []serviceRow {
	names := map[string]bool{}
	for _, f := range []services.File{all, catalog} {
		for n := range f {
			names[n] = true
		}
	}
	var rows []serviceRow
	for n := range names {
		r := serviceRow{name: n, state: "-", kind: serviceKind(n, cfg, builtin, catalog)}
		if st, ok := states[n]; ok {
			r.state = st
		}
		if s, ok := all[n]; ok {
			r.image = s.ImageRef(buildinfo.Version)
		} else {
			r.image = catalog[n].ImageRef(buildinfo.Version)
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	return rows
}

func serviceKind(n string, cfg config.Config, builtin, catalog services.File) string {
	_, inConfig := cfg.Ros.Services[n]
	_, inBuiltin := builtin[n]
	_, inCatalog := catalog[n]
	switch {
	case inConfig:
		return "config"
	case inBuiltin:
		return "built-in"
	case inCatalog && cfg.Ros.ServicesInclude[n]:
		return "catalog, enabled"
	}
	return "catalog, disabled"
}

func containerStates(cmd *cobra.Command) (map[string]string, error) {
	cli, err := systemDockerClient()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	list, err := cli.ContainerList(cmd.Context(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", services.LabelService))})
	if errors.Is(err, os.ErrPermission) {
		return nil, fmt.Errorf("listing services: %s: %w: run it with sudo", contract.SystemDockerSock, os.ErrPermission)
	}
	if err != nil {
		return nil, fmt.Errorf("listing services (is System Docker running?): %w", err)
	}
	states := map[string]string{}
	for _, c := range list {
		states[c.Labels[services.LabelService]] = c.State
	}
	return states, nil
}

func newServiceListCmd(store configstore.Store) *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List the system services, their state and where they come from", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, all, builtin, catalog, err := store.Services()
			if err != nil {
				return err
			}
			states, err := containerStates(cmd)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SERVICE\tSTATE\tKIND\tIMAGE")
			for _, r := range serviceRows(cfg, all, builtin, catalog, states) {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.name, r.state, r.kind, r.image)
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

// newServiceEnableCmd is enable (on) or disable: a catalog service's
// ros.services_include entry in the persistent config.
func newServiceEnableCmd(store configstore.Store, on bool) *cobra.Command {
	use, short, done, next := "enable NAME", "Enable a service of the catalog (it starts at boot)", "enabled", "start it now with: sudo ros service up %s"
	if !on {
		use, short, done, next = "disable NAME", "Disable a service of the catalog", "disabled", "stop it now with: sudo ros service stop %s"
	}
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if _, catalog, err := store.ServiceFiles(); err != nil {
				return err
			} else if _, ok := catalog[name]; !ok {
				return fmt.Errorf("no service %q in the catalog: see ros service list", name)
			}
			doc, err := store.Persistent()
			if err != nil {
				return err
			}
			if doc, err = config.Set(doc, "ros.services_include."+name, fmt.Sprint(on)); err != nil {
				return err
			}
			if err := store.Save(doc); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s; "+next+"\n", name, done, name)
			return nil
		},
	}
}

func newServiceUpCmd(store configstore.Store) *cobra.Command {
	return &cobra.Command{
		Use: "up NAME", Short: "Start a service, recreating it if its definition changed", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			_, all, _, catalog, err := store.Services()
			if err != nil {
				return err
			}
			svc, ok := all[name]
			if _, inCatalog := catalog[name]; !ok && inCatalog {
				return fmt.Errorf("%s is not enabled: run sudo ros service enable %s first", name, name)
			} else if !ok {
				return fmt.Errorf("no service %q: see ros service list", name)
			}
			cli, err := systemDockerClient()
			if err != nil {
				return err
			}
			defer cli.Close()
			if err := svcrun.Ensure(cmd.Context(), cli, name, svc, buildinfo.Version, contract.RegistryAuth); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is up\n", name)
			return nil
		},
	}
}

func newServiceStopCmd() *cobra.Command {
	return &cobra.Command{
		Use: "stop NAME", Short: "Stop a service (until the next boot or ros service up)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cli, err := systemDockerClient()
			if err != nil {
				return err
			}
			defer cli.Close()
			timeout := int((10 * time.Second).Seconds())
			if err := cli.ContainerStop(cmd.Context(), args[0], container.StopOptions{Timeout: &timeout}); err != nil {
				return fmt.Errorf("stopping %s (see ros service list): %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s stopped\n", args[0])
			return nil
		},
	}
}
