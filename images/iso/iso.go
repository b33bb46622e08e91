// Package iso makes the live medium of an OS image: one hybrid image that
// boots under UEFI from a CD (El Torito) and written raw to a USB stick (a
// GPT whose ESP is the same FAT image), through systemd-boot, into a live
// ros. The medium is an ISO9660 filesystem labelled contract.LiveVolume
// holding the slot image (contract.LiveRootfs) the live system runs from,
// and the signed OS image itself (contract.LiveImage), which `ros install`
// writes to a disk with no network. The FAT boot image holds systemd-boot,
// the kernel and the initramfs, and one entry whose command line is the
// image's plus contract.LiveArg. Built with the real tools: mkfs.fat and
// mtools for the FAT image, xorriso for the ISO.
package iso

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/fstools"
)

// Where the boot files go in the FAT image.
const (
	efiBoot   = "EFI/BOOT/BOOTX64.EFI"
	liveDir   = "ros/live"
	entryName = "ros-live.conf"
)

// Options: Image is the signed OS image (oci-layout:DIR:TAG, or any
// reference artifact.Open takes); Out the ISO file written.
type Options struct {
	Image string
	Out   string
	// Append is added to the live entry's kernel command line, e.g.
	// ros.install.device=/dev/vda for an unattended install.
	Append string
	// CloudConfig, a file, goes on the medium (contract.LiveCloudConfig)
	// and ros.cloud_config names it: it configures the live system, and an
	// unattended install stores it on the disk's STATE.
	CloudConfig string
	Work        string // scratch space (default: a directory beside Out)
	Logf        func(string, ...any)
	Opts        []artifact.Option
}

// Report says what was built.
type Report struct {
	Version string
	Size    int64 // of the ISO
}

// Build writes the live medium of o.Image to o.Out.
func Build(o Options) (*Report, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	img, err := artifact.Open(o.Image, o.Opts...)
	if err != nil {
		return nil, err
	}
	cfg, err := artifact.Inspect(img, o.Opts...)
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", o.Image, err)
	}
	work := o.Work
	if work == "" {
		work = filepath.Dir(o.Out)
	}
	tmp, err := os.MkdirTemp(work, "ros-iso-")
	if err != nil {
		return nil, fmt.Errorf("making the ISO: %w", err)
	}
	defer os.RemoveAll(tmp)
	medium := filepath.Join(tmp, "medium")
	extra := o.Append
	if o.CloudConfig != "" {
		data, err := os.ReadFile(o.CloudConfig)
		if err != nil {
			return nil, fmt.Errorf("reading the cloud-config: %w", err)
		}
		if _, err := config.Parse(config.Source{Name: o.CloudConfig, Data: data}); err != nil {
			return nil, fmt.Errorf("%w (fix the file: ros config validate checks it)", err)
		}
		dst := filepath.Join(medium, contract.LiveCloudConfig)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return nil, err
		}
		extra += " ros.cloud_config=" + filepath.Join(contract.LiveMedium, contract.LiveCloudConfig)
	}
	o.Logf("writing the OS image %s to the medium", cfg.Version)
	if err := writeImage(filepath.Join(medium, contract.LiveImage), o.Image, img, cfg.Version, o.Opts); err != nil {
		return nil, err
	}
	o.Logf("writing the root filesystem (%d MB)", cfg.Parts.Rootfs.Uncompressed.Size/1e6)
	rootfs := filepath.Join(medium, contract.LiveRootfs)
	if err := writeRootfs(rootfs, img, cfg); err != nil {
		return nil, err
	}
	boot := filepath.Join(tmp, "efiboot.img")
	if err := writeBootImage(boot, tmp, img, cfg, rootfs, extra); err != nil {
		return nil, err
	}
	o.Logf("writing %s", o.Out)
	if err := xorriso(o.Out, medium, boot); err != nil {
		return nil, err
	}
	fi, err := os.Stat(o.Out)
	if err != nil {
		return nil, err
	}
	return &Report{Version: cfg.Version, Size: fi.Size()}, nil
}

// writeImage writes img and its signatures to a new OCI layout at dir,
// tagged version: an unsigned image makes no medium, since the live
// system would refuse to install it.
func writeImage(dir, ref string, img v1.Image, version string, opts []artifact.Option) error {
	d, err := img.Digest()
	if err != nil {
		return err
	}
	sig, err := artifact.OpenBeside(ref, signature.TagName(d), opts...)
	if errors.Is(err, artifact.ErrTagNotFound) {
		return fmt.Errorf("%s is not signed: sign it first (mkimage sign --key KEY %s)", ref, ref)
	}
	if err != nil {
		return err
	}
	if err := artifact.WriteLayout(dir, img, version); err != nil {
		return err
	}
	return artifact.WriteLayout(dir, sig, signature.TagName(d))
}

// writeRootfs writes the slot image (squashfs and dm-verity tree), checked
// against its digest as it streams.
func writeRootfs(dst string, img v1.Image, cfg artifact.Config) error {
	rc, _, err := artifact.OpenRootfs(img, cfg)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return artifact.SaveFile(dst, rc)
}

// writeBootImage makes the FAT image systemd-boot boots from: the same on
// the CD (El Torito) and as the ESP of the USB stick's GPT.
func writeBootImage(path, tmp string, img v1.Image, cfg artifact.Config, rootfs, extra string) error {
	efi := filepath.Join(tmp, "systemd-bootx64.efi")
	if err := extract(rootfs, contract.BootEFI, efi); err != nil {
		return err
	}
	files := map[string]string{efiBoot: efi}
	for _, f := range artifact.BootFiles {
		local := filepath.Join(tmp, f.Name)
		if err := artifact.SavePart(img, f.MediaType, local); err != nil {
			return err
		}
		files[liveDir+"/"+f.Name] = local
	}
	entry := bootloader.Entry{
		ID: "ros-live", Title: "ros " + cfg.Version + " (live)", Version: cfg.Version, SortKey: bootloader.SortKey,
		Linux: "/" + liveDir + "/vmlinuz", Initrd: "/" + liveDir + "/initrd",
		// The console logs in by itself, as RancherOS's ISO did: a person
		// at a live medium's console is its user.
		Options: strings.Join(strings.Fields(cfg.Cmdline+" "+contract.LiveArg+" ros.autologin "+extra), " "),
	}
	texts := map[string][]byte{
		bootloader.LoaderConfPath:               bootloader.LoaderConf(0),
		bootloader.EntriesDir + "/" + entryName: entry.Render(),
	}
	for dst, data := range texts {
		local := filepath.Join(tmp, filepath.Base(dst))
		if err := os.WriteFile(local, data, 0o644); err != nil {
			return err
		}
		files[dst] = local
	}
	var size int64 = 2 << 20 // FAT and directories
	for _, src := range files {
		fi, err := os.Stat(src)
		if err != nil {
			return err
		}
		size += fi.Size() + 64<<10
	}
	size = (size + size/10 + 1<<20 - 1) &^ (1<<20 - 1)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(path, size); err != nil {
		return err
	}
	if err := fstools.FormatFAT(path, 0, size, 512, "ROS-LIVE", false); err != nil {
		return fmt.Errorf("making the boot image: %w", err)
	}
	fat := fstools.FATAt(path, 0)
	if err := fat.Mkdir("EFI", "EFI/BOOT", "loader", bootloader.EntriesDir, "ros", liveDir); err != nil {
		return fmt.Errorf("making the boot image: %w", err)
	}
	for dst, src := range files {
		if err := fat.Put(src, dst); err != nil {
			return fmt.Errorf("making the boot image: %w", err)
		}
	}
	return nil
}

// xorriso writes the hybrid ISO: the medium tree as ISO9660 (Rock Ridge,
// volume ID contract.LiveVolume), the boot image appended as GPT partition
// 2 (type ESP) and named as the El Torito EFI boot image.
func xorriso(out, medium, boot string) error {
	if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	err := fstools.Run("xorriso", "-as", "mkisofs", "-quiet", "-o", out, "-V", contract.LiveVolume, "-iso-level", "3", "-R",
		"-append_partition", "2", "0xef", boot, "-appended_part_as_gpt",
		"-e", "--interval:appended_partition_2:all::", "-no-emul-boot", medium)
	if err != nil {
		return fmt.Errorf("making the ISO (apt-get install xorriso): %w", err)
	}
	return nil
}

// extract copies a file, by its path on the running system, out of the
// squashfs at the start of image.
func extract(image, path, dst string) error {
	fi, err := os.Stat(image)
	if err != nil {
		return err
	}
	return fstools.SquashfsFile(image, 0, fi.Size(), path, dst)
}
