package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/trust"
	"github.com/ros-os/ros/installer"
	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/datasource"
	"github.com/ros-os/ros/internal/procsys"
)

type installOpts struct {
	device, image, size, slotSize, cloudConfig, appendArgs string
	trust                                                  []string
	force, insecure, skipSignature                         bool
}

func newInstallCmd() *cobra.Command {
	o := installOpts{}
	cmd := &cobra.Command{
		Use:   "install --device DEV|FILE [--image REF]",
		Short: "Install ros onto a disk or disk image: GPT with ESP, two root slots and STATE",
		Long: `Install ros onto a disk or a disk image file.

REF is a registry reference (registry.example.com/ros/os:1.2.3),
oci-layout:DIR[:tag] or oci-archive:FILE[:tag]; on a live system (booted from
the ISO) it defaults to the image the medium carries, which needs no network,
and without --device ros install lists the disks. The image is checked before
anything is written: it must be signed (cosign's format, beside it) by a
key given with --trust, or on a running ros by one in /etc/ros/trust. A disk
that holds partitions or a filesystem is only overwritten with --force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInstall(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.device, "device", "d", "", "block device or disk image file to install onto")
	f.StringVarP(&o.image, "image", "i", "", "the OS image to install")
	f.BoolVarP(&o.force, "force", "f", false, "overwrite a disk that holds partitions or a filesystem")
	f.StringVar(&o.size, "size", "", "for an image file: create or grow it to this size, e.g. 4G")
	f.StringVar(&o.slotSize, "slot-size", "", "size of each root slot (default 1G)")
	f.StringVarP(&o.cloudConfig, "cloud-config", "c", "", "cloud-config to store on STATE: a file or an http(s):// URL")
	f.BoolVar(&o.insecure, "insecure", false, "allow a plain-HTTP registry")
	f.StringArrayVar(&o.trust, "trust", nil, "a public key (cosign.pub) or a directory of *.pub whose signature the image must carry (repeatable)")
	f.BoolVar(&o.skipSignature, trust.SkipFlag[2:], false, skipSignatureUsage)
	f.StringVarP(&o.appendArgs, "append", "a", "", "kernel arguments to add to the image's, e.g. ros.autologin")
	return cmd
}

// liveImage is the OS image a live medium carries: the one it runs.
var liveImage = artifact.LayoutPrefix + filepath.Join(contract.LiveMedium, contract.LiveImage) + ":" + buildinfo.Version

func runInstall(cmd *cobra.Command, o installOpts) error {
	c, _ := procsys.Host.Cmdline()
	live := c.Has(contract.LiveArg)
	if o.image == "" && live {
		o.image = liveImage
	}
	if o.image == "" {
		return fmt.Errorf("no --image given: name the OS image to install, e.g. -i registry.example.com/ros/os:1.2.3 or -i oci-layout:build/oci:1.2.3")
	}
	if o.device == "" {
		if live {
			listDisks(cmd.OutOrStdout(), installer.Disks(procsys.Host, "/dev"))
		}
		return fmt.Errorf("no --device given: choose the disk to install onto, e.g. sudo ros install -d /dev/vda (everything on it is lost)")
	}
	if strings.HasPrefix(o.cloudConfig, "http://") || strings.HasPrefix(o.cloudConfig, "https://") {
		path, err := fetchCloudConfig(cmd.Context(), o.cloudConfig)
		if err != nil {
			return err
		}
		defer os.Remove(path)
		o.cloudConfig = path
	}
	opts := installer.Options{Device: o.device, Image: o.image, Force: o.force, CloudConfig: o.cloudConfig, Append: o.appendArgs, Progress: os.Stderr}
	if err := checkCloudConfig(o.cloudConfig); err != nil {
		return err
	}
	var err error
	if opts.Size, err = parseSize("--size", o.size); err != nil {
		return err
	}
	if opts.Sizes.Slot, err = parseSize("--slot-size", o.slotSize); err != nil {
		return err
	}
	opts.ImageOpts = registryOpts(o.insecure)
	keys, err := givenKeys(o.trust)
	if err != nil {
		return err
	}
	if len(keys) == 0 && !o.skipSignature {
		return fmt.Errorf("no key to check the signature of %s against: give the signer's public key with --trust cosign.pub (nothing was written)", o.image)
	}
	out := cmd.ErrOrStderr()
	opts.Trust = policy(keys, o.skipSignature, out, "ros install")
	opts.Logf = func(format string, a ...any) { fmt.Fprintf(out, "ros install: "+format+"\n", a...) }
	start := time.Now()
	rep, err := installer.Install(cmd.Context(), opts)
	if err != nil {
		return err
	}
	if rep.SignedBy != "" {
		fmt.Fprintf(out, "ros install: signed by %s\n", rep.SignedBy)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "installed ros %s (%s) on %s in %s; slot a is active\n",
		rep.Version, rep.Digest, o.device, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// fetchCloudConfig downloads the cloud-config at url (retrying a server
// that is not up yet, for up to a minute) into a temporary file.
func fetchCloudConfig(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	data, err := datasource.Fetch(ctx, url)
	if err != nil {
		return "", fmt.Errorf("%w (nothing was written)", err)
	}
	f, err := os.CreateTemp("", "ros-install-cloud-config-*.yml")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// listDisks prints the disks ros could be installed onto.
func listDisks(w io.Writer, disks []installer.Disk) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DISK\tSIZE\tMODEL\tHOLDS")
	for _, d := range disks {
		holds := d.Holds
		switch {
		case d.Medium:
			holds = "the live medium (not a target)"
		case holds == "":
			holds = "nothing"
		}
		model := d.Model
		if model == "" {
			model = "-"
		}
		fmt.Fprintf(tw, "%s\t%.1f GB\t%s\t%s\n", d.Path, float64(d.Size)/1e9, model, holds)
	}
	tw.Flush()
}

// checkCloudConfig refuses a cloud-config that would not load at boot,
// before anything is written.
func checkCloudConfig(path string) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the cloud-config: %w", err)
	}
	if _, err := config.Parse(config.Source{Name: path, Data: data}); err != nil {
		return fmt.Errorf("%w (nothing was written; fix the file, ros config validate checks it)", err)
	}
	return nil
}

func parseSize(flag, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(strings.TrimSuffix(strings.TrimSuffix(s, "iB"), "B"))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s %q: give a size such as 4G or 512M", flag, s)
	}
	return n, nil
}
