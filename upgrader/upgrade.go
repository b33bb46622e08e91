package upgrader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	goversion "github.com/hashicorp/go-version"
	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/chunked"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/progress"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/internal/verity"
	"github.com/ros-os/ros/partitions"
	"github.com/ros-os/ros/upgrader/slotstate"
)

// Options say what to upgrade to.
type Options struct {
	Ref       string    // image reference; see artifact.Open
	Force     bool      // allow the same or an older version, or overwriting the last good slot while the running one is on trial
	Booted    slot.Slot // the running slot
	Running   string    // the running version
	Cmdline   string    // the running kernel command line
	ImageOpts []artifact.Option
	// Trust decides whether the image may be written (trust.Policy):
	// it is asked before anything is written; nil refuses every image.
	Trust    Checker
	Progress io.Writer
	Logf     func(format string, a ...any)

	// Repo is remembered in the record as where upgrades come from;
	// unset, the record keeps the one it has.
	Repo string

	// Where to write; unset, the running machine's: the inactive slot's
	// partition found by label, the ESP mounted at ESPDir, RecordPath,
	// the upgrade lock (slotstate.Lock).
	Slot   Slot
	ESP    bootloader.FS
	Record string
	Lock   string
	// Published is where the status is published once the slot is
	// flipped (contract.OSStatus on the running machine); unset, nowhere.
	Published string

	// Running is where the running slot's bytes are read, for the chunks
	// an upgrade need not download; unset, its partition by label. The
	// index of what each slot holds is kept beside the record.
	RunningSlot io.ReaderAt
	// DryRun stops after resolving: the report says what would be
	// downloaded; nothing is written.
	DryRun bool
}

// Checker checks that img, opened from ref, is signed by a trusted key
// and says by which (trust.Policy).
type Checker interface {
	Check(ref string, img v1.Image, opts ...artifact.Option) (signature.Key, error)
}

// Slot is the partition an upgrade writes and reads back.
type Slot interface {
	io.WriterAt
	io.ReaderAt
	Size() int64
	Sync() error
}

// bufferFlusher is a slot whose reads can come from a cache that must be
// dropped to verify what reached the disk (a block device).
type bufferFlusher interface{ FlushBuffers() error }

// Errors users act on.
var (
	ErrNotNewer     = errors.New("not newer than the running version")
	ErrOrder        = errors.New("the new slot would not boot next")
	ErrBusy         = slotstate.ErrBusy
	ErrOnTrial      = slotstate.ErrOnTrial
	ErrSlotTooSmall = partitions.ErrSlotTooSmall
)

// Report says what an upgrade did, with phase timings for the benchmark.
type Report struct {
	Version  string
	Slot     slot.Slot
	SignedBy string // the trusted key's name; empty when not checked
	Phases   map[string]time.Duration
	// What the root filesystem and the boot files (kernel, initramfs)
	// took from the registry and from this machine; Total is both.
	Rootfs, Boot Transfer
}

// Transfer counts an image's bytes: Downloaded from the registry, Reused
// from this machine (a slot, the ESP), of Full, the size of the blobs.
type Transfer struct {
	Reused, Downloaded, Full int64
}

// Total is the whole image's transfer.
func (r *Report) Total() Transfer {
	return Transfer{r.Rootfs.Reused + r.Boot.Reused, r.Rootfs.Downloaded + r.Boot.Downloaded, r.Rootfs.Full + r.Boot.Full}
}

// Upgrade writes the image into the inactive slot and makes it the next
// boot, on trial. The active slot, its entry and STATE are never written,
// except the record on STATE, last.
func Upgrade(ctx context.Context, o Options) (*Report, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Record == "" {
		o.Record = slotstate.RecordPath
	}
	if o.Lock == "" {
		o.Lock = contract.UpgradeLock
	}
	unlock, err := slotstate.Lock(o.Lock, 0)
	if err != nil {
		return nil, fmt.Errorf("upgrading: %w", err)
	}
	defer unlock()
	u := &upgrade{o: o, target: o.Booted.Other(), rep: &Report{Phases: map[string]time.Duration{}}}
	defer u.close()
	phases := []struct {
		name string
		fn   func(context.Context) error
	}{{"resolve", u.resolve}, {"write", u.writeSlot}, {"verify", u.verify}, {"flip", u.flip}}
	for _, p := range phases {
		start := time.Now()
		o.Logf("%s", p.name)
		if err := p.fn(ctx); err != nil {
			return nil, err
		}
		u.rep.Phases[p.name] = time.Since(start)
		if o.DryRun {
			u.rep.Version, u.rep.Slot = u.cfg.Version, u.target
			return u.rep, nil
		}
	}
	u.rep.Version, u.rep.Slot = u.cfg.Version, u.target
	u.publish()
	return u.rep, nil
}

type upgrade struct {
	o       Options
	target  slot.Slot
	img     v1.Image
	cfg     artifact.Config
	plan    *chunked.Plan // of a chunked image
	sources []io.ReaderAt // the plan's local images: the running slot, the slot written
	slot    Slot
	esp     bootloader.FS
	rec     *slotstate.Record
	gen     int // of the new entry
	// localBoot: the boot files (by name) the running slot's ESP
	// directory holds as the image has them, and where.
	localBoot map[string]string
	// unchecked: the chunks written from a slot, in order, checked only
	// when the slot is read back.
	unchecked []int
	rep       *Report
	closer    io.Closer
	closers   []io.Closer
}

func (u *upgrade) close() {
	if u.closer != nil {
		u.closer.Close()
	}
	for _, c := range u.closers {
		c.Close()
	}
}

// publish publishes the slots' status once flipped. The upgrade is done
// by then, so a failure is only logged.
func (u *upgrade) publish() {
	if u.o.Published == "" {
		return
	}
	entries, err := bootloader.ReadEntries(u.esp)
	if err != nil {
		u.o.Logf("publishing the OS status: %v", err)
		return
	}
	if err := slotstate.Publish(u.o.Published, slotstate.StatusOf(u.o.Booted, u.o.Running, u.rec, entries)); err != nil {
		u.o.Logf("%v", err)
	}
}

func (u *upgrade) resolve(context.Context) error {
	img, err := artifact.Open(u.o.Ref, u.o.ImageOpts...)
	if err != nil {
		return fmt.Errorf("opening %s: %w", u.o.Ref, err)
	}
	if u.o.Trust == nil {
		return fmt.Errorf("refusing %s: no trust policy to check its signature against", u.o.Ref)
	}
	key, err := u.o.Trust.Check(u.o.Ref, img, u.o.ImageOpts...)
	if err != nil {
		return err
	}
	u.rep.SignedBy = key.Name
	cfg, err := artifact.Inspect(img, u.o.ImageOpts...)
	if err != nil {
		return fmt.Errorf("checking %s: %w", u.o.Ref, err)
	}
	if err := newer(cfg.Version, u.o.Running, u.o.Force); err != nil {
		return err
	}
	if err := u.openSlot(); err != nil {
		return err
	}
	if size := u.slot.Size(); cfg.Parts.Rootfs.Uncompressed.Size > size {
		return fmt.Errorf("%w: the root filesystem of %s (%d MiB) does not fit slot %s (%d MiB): reinstall with a bigger --slot-size",
			ErrSlotTooSmall, cfg.Version, cfg.Parts.Rootfs.Uncompressed.Size>>20, u.target, size>>20)
	}
	if u.rec, err = slotstate.LoadRecord(u.o.Record); err != nil {
		return err
	}
	if err := u.mountESP(); err != nil {
		return err
	}
	running, err := slotstate.Entry(u.esp, u.o.Booted)
	if err != nil {
		return err
	}
	if err := slotstate.CheckUpgrade(u.o.Booted, running, u.rec.Pending); err != nil && !u.o.Force {
		return err
	}
	u.img, u.cfg = img, cfg
	if err := u.order(); err != nil {
		return err
	}
	u.planBoot()
	return u.planChunks()
}

// order picks the new entry's generation and checks, before anything is
// written, that systemd-boot will boot it first: the slot written last
// boots next, whatever the version strings.
func (u *upgrade) order() error {
	entries, err := bootloader.ReadEntries(u.esp)
	if err != nil {
		return fmt.Errorf("reading the boot entries: %w", err)
	}
	u.gen = bootloader.NextGeneration(entries)
	next := u.entry()
	others := []bootloader.Entry{next}
	for _, e := range entries {
		if e.ID != next.ID {
			e.Counter = nil // even once the running slot is marked good
			others = append(others, e)
		}
	}
	if first, _ := bootloader.Pick(others); first.FileName() != next.FileName() {
		return fmt.Errorf("%w: systemd-boot would boot %s before the new slot %s: remove that entry from the ESP's %s",
			ErrOrder, first.FileName(), u.target, bootloader.EntriesDir)
	}
	return nil
}

// entry is the new slot's boot entry, on trial.
func (u *upgrade) entry() bootloader.Entry {
	e := bootloader.SlotEntry(u.target, u.gen, u.cfg.Version, cmdlineFor(u.cfg.Cmdline, u.o.Cmdline))
	e.Counter = bootloader.Tries(3)
	return e
}

func (u *upgrade) mountESP() error {
	if u.esp = u.o.ESP; u.esp == nil {
		esp, err := slotstate.MountESP()
		if err != nil {
			return err
		}
		u.esp = esp
	}
	return nil
}

// newer refuses the same or an older version unless forced. systemd-boot
// must also order it first, or the new slot would never be tried.
func newer(v, running string, force bool) error {
	nv, err := goversion.NewSemver(v)
	if err != nil {
		return fmt.Errorf("image version %q: %w", v, err)
	}
	rv, err := goversion.NewSemver(running)
	if err == nil && !nv.GreaterThan(rv) && !force {
		return fmt.Errorf("%w: %s is not newer than %s: use --force to install it anyway", ErrNotNewer, v, running)
	}
	return nil
}

// openSlot opens the inactive slot: the one given, or the partition of that
// name on this machine.
func (u *upgrade) openSlot() error {
	if u.o.Slot != nil {
		u.slot = u.o.Slot
		return nil
	}
	dev, err := partitions.DeviceByLabel(partitions.RootLabel(u.target))
	if err != nil {
		return err
	}
	d, err := openSlotDevice(dev, u.target)
	if err != nil {
		return err
	}
	u.slot, u.closer = d, d
	return nil
}

// ErrSlotInUse: the slot's device is mounted or open exclusively.
var ErrSlotInUse = errors.New("the slot is in use")

// openSlotDevice opens the slot's block device exclusively (O_EXCL): the
// kernel refuses while anything has it mounted, so an upgrade never writes
// the root it runs from, whatever the kernel command line says.
func openSlotDevice(dev string, s slot.Slot) (*blockDev, error) {
	f, err := os.OpenFile(dev, os.O_RDWR|os.O_EXCL, 0)
	if errors.Is(err, unix.EBUSY) {
		return nil, fmt.Errorf("%w: slot %s (%s) is mounted or open: refusing to write it (is it the running root?)", ErrSlotInUse, s, dev)
	}
	if err != nil {
		return nil, fmt.Errorf("opening slot %s: %w", s, err)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening slot %s: %w", s, err)
	}
	return &blockDev{File: f, size: size}, nil
}

// blockDev is a slot partition of the running machine.
type blockDev struct {
	*os.File
	size int64
}

func (d *blockDev) Size() int64 { return d.size }

// FlushBuffers drops the device's page cache so a read-back sees the disk.
func (d *blockDev) FlushBuffers() error { return unix.IoctlSetInt(int(d.Fd()), unix.BLKFLSBUF, 0) }

// writeSlot first removes the target slot's entry (nothing may boot a slot
// being written), then writes the root filesystem into it: the chunks the
// running slot has from it, the others fetched (writeChunks), or the
// whole stream.
func (u *upgrade) writeSlot(context.Context) error {
	if err := removeEntry(u.esp, u.target); err != nil {
		return err
	}
	delete(u.rec.Slots, u.target)
	if err := chunked.Remove(u.chunksFile(u.target)); err != nil {
		// A stale index costs downloads, never a wrong slot: every chunk
		// taken from a slot is checked against its digest.
		u.o.Logf("warning: %v", err)
	}
	if u.plan != nil {
		err := u.writeChunks()
		if !errors.Is(err, artifact.ErrNoRanges) {
			return err
		}
		u.o.Logf("%s does not serve parts of blobs: downloading the whole root filesystem", u.o.Ref)
		u.rep.Rootfs.Reused, u.unchecked = 0, nil
	}
	return u.streamSlot()
}

// streamSlot writes the whole root filesystem from its stream.
func (u *upgrade) streamSlot() error {
	u.rep.Rootfs.Downloaded = u.cfg.Parts.Rootfs.Size
	rc, size, err := artifact.OpenRootfs(u.img, u.cfg)
	if err != nil {
		return err
	}
	defer rc.Close()
	bar := progress.New(u.o.Progress, size, "writing slot "+string(u.target))
	w := io.MultiWriter(io.NewOffsetWriter(u.slot, 0), bar)
	if _, err := io.CopyBuffer(w, rc, make([]byte, 1<<20)); err != nil {
		return fmt.Errorf("writing slot %s: %w", u.target, err)
	}
	if err := u.slot.Sync(); err != nil {
		return fmt.Errorf("syncing slot %s: %w", u.target, err)
	}
	return nil
}

func removeEntry(esp bootloader.FS, s slot.Slot) error {
	if err := bootloader.RemoveEntry(esp, bootloader.SlotID(s)); err != nil {
		return fmt.Errorf("removing the entry of slot %s: %w", s, err)
	}
	return nil
}

// verify reads the slot back, past the page cache, and checks its digest.
func (u *upgrade) verify(context.Context) error {
	if f, ok := u.slot.(bufferFlusher); ok {
		_ = f.FlushBuffers()
	}
	want := u.cfg.Parts.Rootfs.Uncompressed
	ix := u.cfg.Parts.Rootfs.Chunks
	if ix != nil && ix.Check(u.cfg.Parts.Rootfs.Size, want.Size) == nil {
		// Chunk by chunk, on every CPU: the chunks tile the image, and
		// their digests are in the signed config as the whole one is.
		wrong, err := chunked.Mismatches(u.slot, *ix, nil, chunked.Workers())
		if err != nil {
			return fmt.Errorf("verifying slot %s: %w", u.target, err)
		}
		if len(wrong) > 0 {
			if err := u.repair(wrong); err != nil {
				return err
			}
		}
		u.saveChunks(*ix)
		return nil
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(h, io.NewSectionReader(u.slot, 0, want.Size), make([]byte, 1<<20)); err != nil {
		return fmt.Errorf("verifying slot %s: %w", u.target, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.Digest.Hex {
		return fmt.Errorf("verifying slot %s: %w: read back sha256:%s, want %s", u.target, artifact.ErrDigestMismatch, got, want.Digest)
	}
	if ix != nil {
		u.saveChunks(*ix)
	}
	return nil
}

// saveChunks keeps the index of what the target slot now holds. Only an
// optimisation: without it the next upgrade downloads more.
func (u *upgrade) saveChunks(ix chunked.Index) {
	if err := chunked.Save(u.chunksFile(u.target), ix); err != nil {
		u.o.Logf("warning: %v", err)
	}
}

// flip writes the kernel and initramfs, then the entry with a tries counter
// (the commit point, written atomically), then the record.
func (u *upgrade) flip(context.Context) error {
	dir := bootloader.SlotDir(u.target)
	if err := u.esp.Mkdir(dir); err != nil {
		return fmt.Errorf("writing the ESP: %w", err)
	}
	if err := u.writeBoot(dir); err != nil {
		return err
	}
	// The kernel and initramfs must be on the disk before the entry that
	// boots them: the entry is the commit point.
	if err := bootloader.Sync(u.esp); err != nil {
		return err
	}
	if err := bootloader.WriteEntry(u.esp, u.entry()); err != nil {
		return fmt.Errorf("writing the boot entry of slot %s: %w", u.target, err)
	}
	unix.Sync()
	digest, _ := u.img.Digest()
	u.rec.Slots[u.target] = slotstate.SlotInfo{Version: u.cfg.Version, Digest: digest.String()}
	u.rec.Pending = &slotstate.Pending{From: u.o.Booted, To: u.target, FromVersion: u.o.Running, ToVersion: u.cfg.Version, Since: time.Now().UTC()}
	if u.o.Repo != "" {
		u.rec.Repo = u.o.Repo
	}
	u.rec.Recovered = ""
	// Past the commit point the new slot boots next whatever happens to
	// the record: boot assessment decides from the entry's counter alone.
	if err := u.rec.Save(u.o.Record); err != nil {
		u.o.Logf("warning: %v (the new slot boots next all the same)", err)
	}
	return nil
}

// cmdlineFor is the new image's command line plus what the user added to
// the running one (e.g. ros.autologin), without the slot's own arguments.
func cmdlineFor(image, running string) string {
	have := map[string]bool{}
	for _, f := range strings.Fields(image) {
		have[f] = true
	}
	out := strings.Fields(image)
	for _, f := range strings.Fields(running) {
		if have[f] || strings.HasPrefix(f, "root=") || strings.HasPrefix(f, "ros.slot=") || strings.HasPrefix(f, verity.Arg+"=") ||
			strings.HasPrefix(f, "initrd=") || strings.HasPrefix(f, "BOOT_IMAGE=") {
			continue
		}
		out = append(out, f)
		have[f] = true
	}
	return strings.Join(out, " ")
}
