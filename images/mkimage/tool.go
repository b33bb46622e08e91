package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ros-os/ros/images/builder"
)

func newToolCmd() *cobra.Command {
	var spec, cache, mirror string
	cmd := &cobra.Command{
		Use:   "tool PACKAGE FILE OUT",
		Short: "Copy FILE of a Debian package of the image's suite to OUT, e.g. tool cosign usr/bin/cosign build/tools/cosign (nothing is installed on the host)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := builder.LoadSpec(spec)
			if err != nil {
				return err
			}
			logf := func(format string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "mkimage: "+format+"\n", a...) }
			if err := builder.Tool(builder.Options{Spec: s, Cache: cache, Mirror: mirror, Logf: logf}, args[0], args[1], args[2]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s of %s (%s)\n", args[2], args[1], args[0], s.Suite)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec, "spec", "images/os.yaml", "image definition (its suite and architecture)")
	f.StringVar(&cache, "cache", "build/cache", "package cache, shared with mkimage build")
	f.StringVar(&mirror, "mirror", os.Getenv("ROS_APT_MIRROR"), "Debian mirror URI (default $ROS_APT_MIRROR, else the host's)")
	return cmd
}
