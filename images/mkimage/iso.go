package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ros-os/ros/images/iso"
)

func newISOCmd() *cobra.Command {
	var image, out string
	cmd := &cobra.Command{
		Use:   "iso --image oci-layout:build/oci:VERSION --out build/ros-VERSION.iso",
		Short: "Write the live medium of a signed OS image: a hybrid ISO for a CD or a USB stick (dd) that boots ros live and installs that image offline",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logf := func(format string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "mkimage: "+format+"\n", a...) }
			rep, err := iso.Build(iso.Options{Image: image, Out: out, Logf: logf})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ros %s live, %.1f MB\n", out, rep.Version, float64(rep.Size)/1e6)
			return nil
		},
	}
	cmd.Flags().StringVar(&image, "image", "", "the signed OS image (oci-layout:DIR:TAG, oci-archive:FILE or a registry reference)")
	cmd.Flags().StringVar(&out, "out", "", "the ISO file to write")
	_ = cmd.MarkFlagRequired("image")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
