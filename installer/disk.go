package installer

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	diskfs "github.com/diskfs/go-diskfs"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/chunked"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/progress"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/partitions"
)

// partition writes the GPT. A block device whose kernel view cannot be
// refreshed now is fine: everything after this addresses partitions by
// offset, never through /dev/vdaN.
func (in *install) partition(context.Context) error {
	placed, err := partitions.Plan(in.layout(), in.target.Size, in.target.SectorSize)
	if err != nil {
		return err
	}
	d, err := diskfs.Open(in.target.Path, diskfs.WithOpenMode(diskfs.ReadWrite), diskfs.WithSectorSize(diskfs.SectorSize(in.target.SectorSize)))
	if err != nil {
		return fmt.Errorf("opening %s: %w", in.target.Path, err)
	}
	defer d.Close()
	in.placed, err = partitions.Write(d, placed)
	if err != nil && in.placed == nil {
		return fmt.Errorf("writing the partition table: %w", err)
	}
	if err != nil {
		in.o.Logf("the kernel will see the new partitions after a reboot: %v", err)
	}
	return in.wipe()
}

// wipe zeroes the start of every partition, so that a reinstall that fails
// later leaves no old ESP whose entry would boot a half-written slot, and no
// old filesystem signature.
func (in *install) wipe() error {
	f, err := os.OpenFile(in.target.Path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("wiping old partitions: %w", err)
	}
	defer f.Close()
	zero := make([]byte, 1<<20)
	for _, p := range in.placed {
		if _, err := f.WriteAt(zero[:min(int64(len(zero)), p.Size())], p.Offset()); err != nil {
			return fmt.Errorf("wiping %s: %w", p.Name, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wiping old partitions: %w", err)
	}
	return nil
}

func (in *install) part(label string) (partitions.Placed, error) {
	return partitions.Find(in.placed, label)
}

// writeSlot streams the root filesystem into slot A, verifying its digest
// as it goes, and syncs. A failure leaves no boot entry pointing at it: the
// ESP is written only after this.
func (in *install) writeSlot(context.Context) error {
	sec, err := partitions.OpenPart(in.target.Path, partitions.RootLabel(slot.A))
	if err != nil {
		return fmt.Errorf("opening slot a: %w", err)
	}
	defer sec.Close()
	rc, size, err := artifact.OpenRootfs(in.img, in.cfg)
	if err != nil {
		return err
	}
	defer rc.Close()
	var w io.WriterAt = sec
	if in.o.slotWriter != nil {
		w = in.o.slotWriter(w)
	}
	bar := progress.New(in.o.Progress, size, "writing slot a")
	n, err := io.CopyBuffer(io.MultiWriter(io.NewOffsetWriter(w, 0), bar), rc, make([]byte, 1<<20))
	if err != nil {
		return fmt.Errorf("writing slot a: %w", err)
	}
	in.report.SlotBytes = n
	if err := sec.Sync(); err != nil {
		return fmt.Errorf("syncing slot a: %w", err)
	}
	return nil
}

// formatState makes the ext4 STATE filesystem with mkfs.ext4, seeded with
// the cloud-config if one was given.
func (in *install) formatState(context.Context) error {
	p, err := in.part(partitions.LabelState)
	if err != nil {
		return err
	}
	seed, err := os.MkdirTemp("", "ros-state-")
	if err != nil {
		return fmt.Errorf("formatting STATE: %w", err)
	}
	defer os.RemoveAll(seed)
	if err := seedState(seed, in.o.CloudConfig); err != nil {
		return err
	}
	if ix := in.cfg.Parts.Rootfs.Chunks; ix != nil {
		// What slot a holds, for the first upgrade to download only the
		// chunks it lacks (upgrader keeps it up to date from then on).
		if err := chunked.Save(chunked.SlotFile(filepath.Join(seed, contract.RecordDir), string(slot.A)), *ix); err != nil {
			return fmt.Errorf("seeding STATE: %w", err)
		}
	}
	return mkfsExt4(in.target.Path, p, seed)
}
