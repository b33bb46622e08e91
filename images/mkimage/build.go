package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/spf13/cobra"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/builder"
	"github.com/ros-os/ros/images/signature"
)

type buildOpts struct {
	spec, ros, init, cache, out, oci, version, mirror string
	trust                                             []string
}

func newBuildCmd() *cobra.Command {
	o := buildOpts{}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build kernel, initramfs and root filesystem, and write them as an OCI image",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBuild(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.spec, "spec", "images/os.yaml", "image definition")
	f.StringVar(&o.ros, "ros", "build/ros", "the static ros binary to put in the image")
	f.StringVar(&o.init, "init", "build/ros-initramfs", "the initramfs build of ros (go build -tags initramfs)")
	f.StringVar(&o.cache, "cache", "build/cache", "package cache, kept between builds")
	f.StringVar(&o.out, "out", "build/os", "directory for vmlinuz, initrd and rootfs.squashfs")
	f.StringVar(&o.oci, "oci", "build/oci", "OCI image layout to write the OS image into")
	f.StringVar(&o.version, "version", "", "OS version (semver), e.g. 1.2.3")
	f.StringVar(&o.mirror, "mirror", os.Getenv("ROS_APT_MIRROR"),
		"Debian mirror URI for the spec's suite (default $ROS_APT_MIRROR, else the host's from /etc/apt)")
	f.StringArrayVar(&o.trust, "trust", nil, "a public key (PEM) the OS trusts for its upgrades, put in "+builder.TrustDir+" (repeatable)")
	_ = cmd.MarkFlagRequired("version")
	return cmd
}

func runBuild(cmd *cobra.Command, o buildOpts) error {
	if _, err := version.NewSemver(o.version); err != nil {
		return fmt.Errorf("VERSION %q is not a semantic version: use one like 1.2.3", o.version)
	}
	if _, err := signature.LoadKeys(o.trust...); err != nil { // before the long build
		return fmt.Errorf("--trust: %w", err)
	}
	spec, err := builder.LoadSpec(o.spec)
	if err != nil {
		return err
	}
	start := time.Now()
	logf := func(format string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "mkimage: "+format+"\n", a...) }
	res, err := builder.Build(builder.Options{Spec: spec, Ros: o.ros, Init: o.init, Cache: o.cache, Out: o.out, Version: o.version,
		Mirror: o.mirror, Logf: logf, Trust: o.trust})
	if err != nil {
		return err
	}
	// The slot's dm-verity root hash rides on the signed config's command
	// line into each boot entry of this image.
	cmdline := strings.TrimSpace(spec.Kernel.Cmdline + " " + res.Verity.KernelArg())
	img, err := artifact.New(artifact.Parts{Kernel: res.Kernel, Initramfs: res.Initramfs, Rootfs: res.RootfsBlob, Squashfs: res.Rootfs, Chunks: res.Chunks},
		o.version, spec.Architecture, cmdline)
	if err != nil {
		return err
	}
	if err := artifact.WriteLayout(o.oci, img, o.version); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return fmt.Errorf("reading image digest: %w", err)
	}
	abs, _ := filepath.Abs(o.oci)
	fmt.Fprintf(cmd.OutOrStdout(), "built ros %s (%s, kernel %s) in %s: oci-layout:%s:%s@%s\n",
		o.version, runtime.GOARCH, res.KernelRelease, time.Since(start).Round(time.Millisecond), abs, o.version, d)
	return nil
}
