package installer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/fstools"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/partitions"
)

// ESP paths of systemd-boot (each slot's kernel and initramfs go to
// bootloader.SlotDir).
const (
	efiBoot    = "EFI/BOOT/BOOTX64.EFI"
	efiSystemd = "EFI/systemd/systemd-bootx64.efi"
	loaderTime = 0 // boot the chosen entry at once; hold a key for the menu
)

// esp writes files into a FAT filesystem at an offset of a disk or image
// with mtools, the same way for /dev/vda and disk.img.
type esp struct {
	fat     fstools.FAT
	written map[string]string // ESP path → the local file copied there
}

func newESP(path string, p partitions.Placed) *esp {
	return &esp{fat: fstools.FATAt(path, p.Offset()), written: map[string]string{}}
}

func (e *esp) mkdir(dirs ...string) error {
	if err := e.fat.Mkdir(dirs...); err != nil {
		return fmt.Errorf("the ESP: %w", err)
	}
	return nil
}

// put copies a local file to dst, replacing it.
func (e *esp) put(src, dst string) error {
	if err := e.fat.Put(src, dst); err != nil {
		return fmt.Errorf("the ESP: %w", err)
	}
	e.written[dst] = src
	return nil
}

// putBytes writes data to dst through a temporary file.
func (e *esp) putBytes(tmp string, data []byte, dst string) error {
	src := filepath.Join(tmp, filepath.Base(dst))
	if err := os.WriteFile(src, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return e.put(src, dst)
}

// writeESP formats the ESP, installs systemd-boot (taken from the slot just
// written), the slot's kernel and initramfs, loader.conf, and last the boot
// entry, which marks slot A good.
func (in *install) writeESP(context.Context) error {
	p, err := in.part(partitions.LabelESP)
	if err != nil {
		return err
	}
	if err := mkfsVfat(in.target.Path, p); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "ros-esp-")
	if err != nil {
		return fmt.Errorf("writing the ESP: %w", err)
	}
	defer os.RemoveAll(tmp)
	e := newESP(in.target.Path, p)
	steps := []func(*esp, string) error{in.putBootloader, in.putSlotFiles, in.putEntry}
	for _, s := range steps {
		if err := s(e, tmp); err != nil {
			return err
		}
	}
	return in.verifyESP(e, p)
}

// verifyESP makes what was written durable (mtools writes through the page
// cache) and reads every file back through a FAT32 reader of its own,
// against the local copy: a disk that drops or garbles writes fails the
// install instead of the first boot.
func (in *install) verifyESP(e *esp, p partitions.Placed) error {
	f, err := os.OpenFile(in.target.Path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("verifying the ESP: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", in.target.Path, err)
	}
	dropCache(f, in.target.Block) // read the disk, not the page cache
	fsys, err := fat32.Read(file.New(f, true), p.Size(), p.Offset(), p.SectorSize)
	if err != nil {
		return fmt.Errorf("verifying the ESP: %w", err)
	}
	for dst, src := range e.written {
		want, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("verifying %s on the ESP: %w", dst, err)
		}
		got, err := readFAT(fsys, dst)
		if err != nil {
			return fmt.Errorf("verifying %s on the ESP: %w", dst, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("verifying %s on the ESP: %w: read back %d bytes that differ from the %d written: the disk may be failing",
				dst, artifact.ErrDigestMismatch, len(got), len(want))
		}
	}
	return nil
}

// dropCache drops the cached pages of a device or image file, best effort.
func dropCache(f *os.File, block bool) {
	if block {
		_ = unix.IoctlSetInt(int(f.Fd()), unix.BLKFLSBUF, 0)
		return
	}
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

func readFAT(fsys *fat32.FileSystem, name string) ([]byte, error) {
	r, err := fsys.OpenFile("/"+name, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	fi, err := r.Stat()
	if err != nil {
		return nil, err
	}
	// go-diskfs v1.9.4 read 2624 bytes of a 2048-byte file mcopy wrote:
	// take the directory entry's size.
	return io.ReadAll(io.LimitReader(r, fi.Size()))
}

func mkfsVfat(path string, p partitions.Placed) error {
	if err := fstools.FormatFAT(path, p.Offset(), p.Size(), p.SectorSize, "ROS-ESP", true); err != nil {
		return fmt.Errorf("formatting the ESP: %w", err)
	}
	return nil
}

func (in *install) putBootloader(e *esp, tmp string) error {
	efi := filepath.Join(tmp, "systemd-bootx64.efi")
	if err := in.extractFromSlot(contract.BootEFI, efi); err != nil {
		return err
	}
	if err := e.mkdir("EFI", "EFI/BOOT", "EFI/systemd", "loader", bootloader.EntriesDir, "ros", bootloader.SlotDir(slot.A)); err != nil {
		return err
	}
	for _, dst := range []string{efiBoot, efiSystemd} {
		if err := e.put(efi, dst); err != nil {
			return err
		}
	}
	if err := e.putBytes(tmp, bootloader.LoaderConf(loaderTime), bootloader.LoaderConfPath); err != nil {
		return err
	}
	return e.putBytes(tmp, []byte("type1\n"), "loader/entries.srel")
}

// extractFromSlot copies a file, named by its path on the running system,
// out of the squashfs in slot A.
func (in *install) extractFromSlot(path, dst string) error {
	p, err := in.part(partitions.RootLabel(slot.A))
	if err != nil {
		return err
	}
	if err := fstools.SquashfsFile(in.target.Path, p.Offset(), p.Size(), path, dst); err != nil {
		return fmt.Errorf("slot a: %w", err)
	}
	return nil
}

// putSlotFiles copies the kernel and initramfs, verified, into ros/a/.
func (in *install) putSlotFiles(e *esp, tmp string) error {
	for _, p := range artifact.BootFiles {
		local := filepath.Join(tmp, p.Name)
		if err := artifact.SavePart(in.img, p.MediaType, local); err != nil {
			return err
		}
		if err := e.put(local, bootloader.SlotDir(slot.A)+"/"+p.Name); err != nil {
			return err
		}
	}
	return nil
}

// putEntry writes slot A's boot entry, without a tries counter: a fresh
// install is good by definition.
func (in *install) putEntry(e *esp, tmp string) error {
	entry := bootloader.SlotEntry(slot.A, 1, in.cfg.Version, strings.TrimSpace(in.cfg.Cmdline+" "+in.o.Append))
	return e.putBytes(tmp, entry.Render(), bootloader.EntriesDir+"/"+entry.FileName())
}
