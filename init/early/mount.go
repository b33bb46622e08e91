package early

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/internal/verity"
)

// mount is one mount(2) call.
type mount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

func (m mount) String() string {
	if m.flags&unix.MS_BIND != 0 {
		return fmt.Sprintf("%s on %s (bind)", m.source, m.target)
	}
	return fmt.Sprintf("%s on %s (%s)", m.source, m.target, m.fstype)
}

func doMount(m mount) error {
	if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil {
		return fmt.Errorf("mounting %s: %w", m, err)
	}
	return nil
}

// initramfsMounts are the API file systems of the initramfs. They move
// into the new root at the switch.
var initramfsMounts = []mount{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
}

// mountEFIVars mounts efivarfs read-only on an EFI boot, best effort:
// systemd-boot's LoaderDevicePartUUID there names the ESP it started from,
// whose disk holds the root slot (findBlock). It moves to the root slot
// with /sys.
func mountEFIVars(b *boot) error {
	if _, err := os.Stat(procsys.EFIVars); err != nil || procsys.IsMountPoint(procsys.EFIVars) {
		return nil // not an EFI boot, or mounted
	}
	err := doMount(mount{"efivarfs", procsys.EFIVars, "efivarfs", unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""})
	if err != nil {
		b.log.Printf("WARNING: %v: ros partitions are looked for on every disk", err)
	}
	return nil
}

func mountInitramfs(b *boot) error {
	for _, m := range initramfsMounts {
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", m.target, err)
		}
		if err := doMount(m); err != nil && !errors.Is(err, unix.EBUSY) {
			return err
		}
	}
	ensureConsole()
	b.log = newLogger() // /dev/kmsg exists now
	b.mark("init")
	b.log.Printf("%s", buildinfo.String())
	return nil
}

func mountSlot(b *boot) error {
	if err := os.MkdirAll(sysroot, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", sysroot, err)
	}
	dev := b.rootDev
	if arg, ok := b.args[verity.Arg]; ok {
		// The slot's blocks are checked against the root hash of its boot
		// entry as they are read: a block that differs is an I/O error,
		// here or later, and a trial slot that cannot boot falls back.
		t, err := verity.Parse(arg)
		if err != nil {
			return err
		}
		if dev, err = verity.Open(b.rootDev, "ros-root", t); err != nil {
			return fmt.Errorf("opening %s through dm-verity: %w", b.rootDev, err)
		}
		b.log.Printf("root slot %s opened through dm-verity as %s (root hash %x)", b.rootDev, dev, t.RootHash)
	}
	return doMount(mount{dev, sysroot, "squashfs", unix.MS_RDONLY, ""})
}

// milestone is one line of contract.Milestones.
type milestone struct {
	name, uptime string
}

// mark records that the boot reached name now.
func (b *boot) mark(name string) {
	up := "?"
	if u, err := procsys.Host.ReadUptime(); err == nil {
		up = strconv.FormatFloat(u, 'f', -1, 64)
	}
	b.uptimes = append(b.uptimes, milestone{name, up})
	b.log.Printf("milestone %s at %s s", name, up)
}

// milestoneLines formats milestones as contract.Milestones lines.
func milestoneLines(ms []milestone) string {
	var sb strings.Builder
	for _, m := range ms {
		sb.WriteString(m.name + " " + m.uptime + "\n")
	}
	return sb.String()
}
