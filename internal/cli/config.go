package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/configstore"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Read, change and check the cloud-config",
		Long: `The persistent cloud-config is /state/ros/cloud-config.yml (from ros install -c,
changed by set and merge). At boot it is merged with a NoCloud config drive
(label cidata) and ros.cloud_config=URL|FILE on the kernel command line, in
that order, later ones winning. get shows that merged config.`}
	store := configstore.Default()
	cmd.AddCommand(newConfigGetCmd(store), newConfigSetCmd(store), newConfigMergeCmd(store),
		newConfigExportCmd(store), newConfigValidateCmd())
	return cmd
}

func newConfigGetCmd(store configstore.Store) *cobra.Command {
	return &cobra.Command{
		Use: "get KEY", Short: "Print a key of the effective config, e.g. ros.network.dns.nameservers", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := store.Effective()
			if err != nil {
				return err
			}
			v, err := config.Get(cfg, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), v)
			return nil
		},
	}
}

func newConfigSetCmd(store configstore.Store) *cobra.Command {
	return &cobra.Command{
		Use: "set KEY VALUE", Short: "Set a key of the persistent config (VALUE is YAML: true, [a, b], ...)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := store.Persistent()
			if err != nil {
				return err
			}
			if doc, err = config.Set(doc, args[0], args[1]); err != nil {
				return err
			}
			if err := store.Save(doc); err != nil {
				return err
			}
			printNote(cmd.OutOrStdout(), args[0])
			return nil
		},
	}
}

func printNote(w io.Writer, key string) {
	if note := config.RestartNote(key); note != "" {
		fmt.Fprintf(w, "%s changed; to apply it, %s\n", key, note)
	}
}

func newConfigMergeCmd(store configstore.Store) *cobra.Command {
	var input string
	cmd := &cobra.Command{
		Use: "merge -i FILE", Short: "Merge a cloud-config document into the persistent config", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			extra, err := readInput(cmd, input)
			if err != nil {
				return err
			}
			doc, err := store.Persistent()
			if err != nil {
				return err
			}
			if doc, err = config.MergeDoc(doc, extra); err != nil {
				return err
			}
			if err := store.Save(doc); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "merged; to apply it, "+config.RestartNote("hostname"))
			return nil
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "-", "the document to merge (- for standard input)")
	return cmd
}

func readInput(cmd *cobra.Command, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

func newConfigExportCmd(store configstore.Store) *cobra.Command {
	var effective bool
	cmd := &cobra.Command{
		Use: "export", Short: "Print the persistent config (--effective: merged with this boot's other sources)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !effective {
				doc, err := store.Persistent()
				if len(doc) == 0 && err == nil {
					doc = []byte("#cloud-config\n")
				}
				_, _ = cmd.OutOrStdout().Write(doc)
				return err
			}
			cfg, err := store.Effective()
			if err != nil {
				return err
			}
			doc, err := config.Marshal(cfg)
			_, _ = cmd.OutOrStdout().Write(doc)
			return err
		},
	}
	cmd.Flags().BoolVar(&effective, "effective", false, "merge in the config drive and the kernel command line's config")
	return cmd
}

func newConfigValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use: "validate FILE", Short: "Check a cloud-config document (- for standard input)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			cfg, err := config.Parse(config.Source{Name: args[0], Data: data})
			if err != nil {
				return err
			}
			// On a ros machine, also check the services against this image's.
			if builtin, catalog, err := configstore.Default().ServiceFiles(); err == nil {
				if _, err := cfg.Services(builtin, catalog); err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid\n", args[0])
			return nil
		},
	}
}
