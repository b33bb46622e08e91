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

// bootFiles are the files of a slot's ESP directory and the parts of the
// image they hold.
var bootFiles = []struct {
	name string
	mt   types.MediaType
	blob func(artifact.Blobs) artifact.Blob
}{
	{"vmlinuz", artifact.KernelMediaType, func(b artifact.Blobs) artifact.Blob { return b.Kernel }},
	{"initrd", artifact.InitramfsMediaType, func(b artifact.Blobs) artifact.Blob { return b.Initramfs }},
}

// planBoot finds the boot files the running slot's ESP directory already
// holds, byte for byte (its digest is the part's): most upgrades keep the
// kernel, and one that leaves ros alone keeps the initramfs too. Those are
// copied on the ESP, not downloaded.
func (u *upgrade) planBoot() {
	u.localBoot = map[string]string{}
	for _, f := range bootFiles {
		b := f.blob(u.cfg.Parts)
		u.rep.Boot.Full += b.Size
		local := path.Join(bootloader.SlotDir(u.o.Booted), f.name)
		if d, err := bootloader.Digest(u.esp, local); err == nil && d == b.Digest.Hex {
			u.localBoot[f.name] = local
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
	for _, f := range bootFiles {
		b, dst := f.blob(u.cfg.Parts), path.Join(dir, f.name)
		if local, ok := u.localBoot[f.name]; ok {
			err := u.copyBoot(local, dst, b)
			if err == nil {
				u.rep.Boot.Reused += b.Size
				continue
			}
			u.o.Logf("warning: %v: downloading it", err)
		}
		if err := writePart(u.esp, u.img, f.mt, dst); err != nil {
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
