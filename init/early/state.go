package early

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/randseed"
	"github.com/ros-os/ros/partitions"
)

// stateDir is where STATE is mounted in the new root.
const stateDir = contract.State

// degraded says why STATE is a tmpfs and what a person can do about it.
type degraded struct {
	reason string
	repair string
}

func stateMissing() *degraded {
	return &degraded{
		reason: fmt.Sprintf("no partition named %s was found", partitions.LabelState),
		repair: fmt.Sprintf("check the disk's partitions (sgdisk -p DISK): ros never creates or formats STATE "+
			"at boot. Restore the %s partition (ext4) or reinstall, then reboot.", partitions.LabelState),
	}
}

func stateDamaged(dev, why string) *degraded {
	return &degraded{
		reason: fmt.Sprintf("%s: %s", dev, why),
		repair: fmt.Sprintf("run \"e2fsck %s\" from the console, answer its questions, then reboot.", dev),
	}
}

func stateUnmountable(dev string, err error) *degraded {
	return &degraded{
		reason: fmt.Sprintf("mounting %s as ext4 failed: %v", dev, err),
		repair: fmt.Sprintf("run \"e2fsck -f %s\" from the console, then reboot.", dev),
	}
}

// banner is what the console shows when STATE is a tmpfs.
func (d *degraded) banner() []string {
	return []string{
		"ros: STATE IS NOT MOUNTED",
		"why: " + d.reason,
		"STATE is a temporary file system in memory: changes to /etc, /var,",
		"/home, /opt and /root will be LOST at the next reboot.",
		"to repair: " + d.repair,
	}
}

// marker is the content of contract.StateDegraded.
func (d *degraded) marker() string {
	return d.reason + "\nrepair: " + d.repair + "\n"
}

// checkState runs e2fsck -p on STATE and decides whether to mount it.
func checkState(b *boot) error {
	if b.stateDev == "" {
		b.degraded = stateMissing()
		return nil
	}
	code, err := runFsck(sysroot, b.stateDev)
	if err != nil {
		b.degraded = stateDamaged(b.stateDev, fmt.Sprintf("e2fsck could not check it: %v", err))
		return nil
	}
	action, msg := fsckVerdict(code)
	switch action {
	case fsckMount:
		if msg != "" {
			b.log.Printf("%s", msg)
		}
	case fsckReboot:
		b.log.Banner(msg, "rebooting")
		b.halt(unix.LINUX_REBOOT_CMD_RESTART)
	case fsckDamaged:
		b.degraded = stateDamaged(b.stateDev, msg)
	}
	return nil
}

// mountState mounts STATE at /sysroot/state, or a tmpfs there with a loud
// banner when STATE is missing or damaged. It never formats STATE.
func mountState(b *boot) error {
	target := filepath.Join(sysroot, stateDir)
	if _, err := os.Stat(target); err != nil {
		return fmt.Errorf("the root slot has no %s to mount STATE on: %w", stateDir, err)
	}
	if b.degraded == nil {
		err := unix.Mount(b.stateDev, target, "ext4", unix.MS_NOATIME, "")
		if err == nil {
			b.mark("state")
			return nil
		}
		b.degraded = stateUnmountable(b.stateDev, err)
	}
	b.log.Banner(b.degraded.banner()...)
	if err := unix.Mount("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("mounting a tmpfs at %s instead of STATE: %w", target, err)
	}
	b.mark("state")
	return nil
}

// creditSeed initialises the kernel's random pool from the seed the last
// boot left on STATE, and replaces it. A boot without one (the first, or
// STATE a tmpfs) waits for the kernel's own entropy, as before. Failing to
// credit is not fatal: it only makes the boot slower.
func creditSeed(b *boot) error {
	if b.degraded != nil {
		return nil
	}
	credited, err := randseed.Use(randseed.Kernel, filepath.Join(sysroot, contract.RandomSeed))
	if credited {
		b.log.Printf("random pool initialised from the seed on STATE")
	}
	if err != nil {
		b.log.Printf("WARNING: %v", err)
	}
	return nil
}
