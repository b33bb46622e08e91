package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
)

func newPushCmd() *cobra.Command {
	var src string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "push REF",
		Short: "Push a built OS image to an OCI registry, e.g. localhost:5000/ros/os:1.2.3",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := imageOpts(insecure)
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
			// The signatures go along, beside the image pushed.
			d, err := img.Digest()
			if err != nil {
				return err
			}
			sig, err := artifact.OpenBeside(src, signature.TagName(d), opts...)
			switch {
			case errors.Is(err, artifact.ErrTagNotFound):
				fmt.Fprintf(cmd.OutOrStdout(), "pushed %s (not signed)\n", args[0])
				return nil
			case err != nil:
				return err
			}
			if err := artifact.WriteBeside(args[0], signature.TagName(d), sig, opts...); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pushed %s and its signatures\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&src, "from", "oci-layout:build/oci", "the image to push (oci-layout:DIR[:tag], oci-archive:FILE or a registry reference)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow a plain-HTTP registry")
	return cmd
}
