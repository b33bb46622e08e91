package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ros-os/ros/images/iso"
)

func newISOCmd() *cobra.Command {
	var image, out, appendArgs, cloudConfig string
	cmd := &cobra.Command{
		Use:   "iso --image oci-layout:build/oci:VERSION --out build/ros-VERSION.iso",
		Short: "Write the live medium of a signed OS image: a hybrid ISO for a CD or a USB stick (dd) that boots ros live and installs that image offline",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logf := func(format string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "mkimage: "+format+"\n", a...) }
			rep, err := iso.Build(iso.Options{Image: image, Out: out, Append: appendArgs, CloudConfig: cloudConfig, Logf: logf})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ros %s live, %.1f MB\n", out, rep.Version, float64(rep.Size)/1e6)
			return nil
		},
	}
	cmd.Flags().StringVar(&image, "image", "", "the signed OS image (oci-layout:DIR:TAG, oci-archive:FILE or a registry reference)")
	cmd.Flags().StringVar(&out, "out", "", "the ISO file to write")
	cmd.Flags().StringVar(&appendArgs, "append", "", "kernel arguments for the live system, e.g. ros.install.device=/dev/vda (install unattended, then power off)")
	cmd.Flags().StringVar(&cloudConfig, "cloud-config", "", "a cloud-config to put on the medium: it configures the live system and what an unattended install writes")
	_ = cmd.MarkFlagRequired("image")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
