package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ros-os/ros/images/artifact"
)

func newPushCmd() *cobra.Command {
	var src string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "push REF",
		Short: "Push a built OS image to an OCI registry, e.g. localhost:5000/ros/os:1.2.3",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []artifact.Option
			if insecure {
				opts = append(opts, artifact.WithInsecure())
			}
			img, err := artifact.Open(src, opts...)
			if err != nil {
				return err
			}
			if _, err := artifact.Inspect(img); err != nil {
				return err
			}
			if err := artifact.Push(img, args[0], opts...); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pushed %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&src, "from", "oci-layout:build/oci", "the image to push (oci-layout:DIR[:tag], oci-archive:FILE or a registry reference)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow a plain-HTTP registry")
	return cmd
}
