package upgrader

import (
	"fmt"
	"io"
	"os"
	"path"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/images/artifact"
)

// planBoot finds the boot files the running slot's ESP directory already
// holds, byte for byte (its digest is the part's): most upgrades keep the
// kernel, and one that leaves ros alone keeps the initramfs too. Those are
// copied on the ESP, not downloaded.
func (u *upgrade) planBoot() {
	u.localBoot = map[string]string{}
	for _, f := range artifact.BootFiles {
		b := u.cfg.Parts.Of(f.MediaType)
		u.rep.Boot.Full += b.Size
		local := path.Join(bootloader.SlotDir(u.o.Booted), f.Name)
		if d, err := bootloader.Digest(u.esp, local); err == nil && d == b.Digest.Hex {
			u.localBoot[f.Name] = local
			u.rep.Boot.Reused += b.Size
		} else {
			u.rep.Boot.Downloaded += b.Size
		}
	}
}

// writeBoot writes the kernel and initramfs into dir on the ESP, durably,
// each read back (bootloader.WriteFile): from the running slot's copy
// where planBoot found one, else (or if that copy no longer matches) from
// the image.
func (u *upgrade) writeBoot(dir string) error {
	u.rep.Boot.Reused, u.rep.Boot.Downloaded = 0, 0
	for _, f := range artifact.BootFiles {
		b, dst := u.cfg.Parts.Of(f.MediaType), path.Join(dir, f.Name)
		if local, ok := u.localBoot[f.Name]; ok {
			err := u.copyBoot(local, dst, b)
			if err == nil {
				u.rep.Boot.Reused += b.Size
				continue
			}
			u.o.Logf("warning: %v: downloading it", err)
		}
		if err := writePart(u.esp, u.img, f.MediaType, dst); err != nil {
			return err
		}
		u.rep.Boot.Downloaded += b.Size
	}
	return nil
}

// copyBoot copies the ESP's src to dst, which must then hold b.
func (u *upgrade) copyBoot(src, dst string, b artifact.Blob) error {
	f, err := u.esp.OpenFile(src, os.O_RDONLY)
	if err != nil {
		return fmt.Errorf("copying %s on the ESP: %w", src, err)
	}
	defer f.Close()
	got, err := bootloader.WriteFile(u.esp, dst, io.LimitReader(f, b.Size))
	if err != nil {
		return fmt.Errorf("copying %s on the ESP: %w", src, err)
	}
	if got != b.Digest.Hex {
		return fmt.Errorf("copying %s on the ESP: it no longer holds %s", src, b.Digest)
	}
	return nil
}

// writePart writes one verified part to the ESP durably and reads it back
// (bootloader.WriteFile).
func writePart(esp bootloader.FS, img v1.Image, mt types.MediaType, dst string) error {
	rc, _, err := artifact.OpenPart(img, mt)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = bootloader.WriteFile(esp, dst, rc)
	return err
}
