// Package installer lays ros onto a disk: a GPT with an ESP, two root slots
// and STATE; the OS image's root filesystem in slot A; systemd-boot and slot
// A's boot entry on the ESP. A block device and a disk image file go through
// the same code. Nothing is written before the image and the target are
// known to be good.
package installer

import (
	"context"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/partitions"
)

// Options say what to install where.
type Options struct {
	Device      string // block device or disk image file
	Image       string // registry reference, oci-layout:DIR[:tag] or oci-archive:FILE[:tag]
	Force       bool   // overwrite a disk that holds partitions or a filesystem
	Size        int64  // create or grow an image file to this size
	CloudConfig string // stored on STATE for init to apply
	Append      string // kernel arguments added to the image's default command line
	Sizes       partitions.Sizes
	ImageOpts   []artifact.Option
	Trust       Checker                       // asked before anything is written (trust.Policy); nil refuses every image
	Progress    io.Writer                     // progress of the slot write; nil: none
	Logf        func(format string, a ...any) // one line per phase; nil: silent
	slotWriter  func(io.WriterAt) io.WriterAt // test hook: wraps the slot
}

// Checker checks that img, opened from ref, is signed by a trusted key
// and says by which (trust.Policy).
type Checker interface {
	Check(ref string, img v1.Image, opts ...artifact.Option) (signature.Key, error)
}

// Phase is one timed step of an install.
type Phase struct {
	Name     string
	Duration time.Duration
}

// Report says what was installed and how long each phase took.
type Report struct {
	Version   string
	Digest    v1.Hash
	SignedBy  string // the trusted key's name; empty when not checked
	SlotBytes int64
	Phases    []Phase
}

// ErrSlotTooSmall: the root filesystem does not fit the slot.
var ErrSlotTooSmall = partitions.ErrSlotTooSmall

// install carries the state shared by the phases.
type install struct {
	o      Options
	img    v1.Image
	cfg    artifact.Config
	target *Target
	placed []partitions.Placed
	report Report
}

// Install runs the phases in order and stops at the first error.
func Install(ctx context.Context, o Options) (*Report, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	in := &install{o: o}
	phases := []struct {
		name string
		run  func(context.Context) error
	}{
		{"resolve image", in.resolve},
		{"check target", in.checkTarget},
		{"partition", in.partition},
		{"write slot a", in.writeSlot},
		{"write ESP", in.writeESP},
		{"format STATE", in.formatState},
	}
	for _, p := range phases {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		o.Logf("%s", p.name)
		if err := p.run(ctx); err != nil {
			return nil, err
		}
		in.report.Phases = append(in.report.Phases, Phase{p.name, time.Since(start)})
	}
	return &in.report, nil
}

func (in *install) layout() partitions.Layout { return partitions.DefaultLayout(in.o.Sizes) }

// resolve opens and checks the image: media types, architecture and the
// config against the manifest. The parts' bytes are verified as they stream.
func (in *install) resolve(context.Context) error {
	img, err := artifact.Open(in.o.Image, in.o.ImageOpts...)
	if err != nil {
		return fmt.Errorf("opening image %s: %w", in.o.Image, err)
	}
	if in.o.Trust == nil {
		return fmt.Errorf("refusing %s: no trust policy to check its signature against", in.o.Image)
	}
	key, err := in.o.Trust.Check(in.o.Image, img, in.o.ImageOpts...)
	if err != nil {
		return err
	}
	in.report.SignedBy = key.Name
	cfg, err := artifact.Inspect(img, in.o.ImageOpts...)
	if err != nil {
		return fmt.Errorf("checking image %s: %w", in.o.Image, err)
	}
	slot := in.slotSize()
	if u := cfg.Parts.Rootfs.Uncompressed; u.Size > slot {
		return fmt.Errorf("%w: it is %d MiB, a slot %d MiB: install with a bigger --slot-size", ErrSlotTooSmall, u.Size>>20, slot>>20)
	}
	in.img, in.cfg = img, cfg
	in.report.Version = cfg.Version
	in.report.Digest, err = img.Digest()
	return err
}

func (in *install) slotSize() int64 {
	for _, p := range in.layout() {
		if p.Name == partitions.RootLabel(slot.A) {
			return p.Size
		}
	}
	return 0
}

func (in *install) checkTarget(context.Context) error {
	t, err := OpenTarget(in.o.Device, in.o.Size, partitions.MinDiskSize(in.layout()), in.o.Force)
	if err != nil {
		return err
	}
	in.target = t
	return nil
}
