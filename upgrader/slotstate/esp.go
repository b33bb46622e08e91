package slotstate

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/partitions"
)

// ESPDir is where the running system mounts the ESP when it needs it.
const ESPDir = contract.ESPDir

// MountESP mounts the ESP (vfat) at ESPDir unless it is mounted there.
func MountESP() (bootloader.FS, error) {
	if procsys.IsMountPoint(ESPDir) {
		return bootloader.DirFS(ESPDir), nil
	}
	dev, err := partitions.DeviceByLabel(partitions.LabelESP)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(ESPDir, 0o755); err != nil {
		return nil, fmt.Errorf("mounting the ESP: %w", err)
	}
	if err := unix.Mount(dev, ESPDir, "vfat", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "umask=0077,flush,iocharset=iso8859-1,codepage=437"); err != nil {
		return nil, fmt.Errorf("mounting the ESP %s: %w", dev, err)
	}
	return bootloader.DirFS(ESPDir), nil
}

// Entry returns the boot entry of slot, if there is one. Of several files
// for the slot (a rename torn by a power cut), it takes the least trusted:
// one that counts tries, the fewest left.
func Entry(esp bootloader.FS, s slot.Slot) (*bootloader.Entry, error) {
	e, _, err := entryOf(esp, s)
	return e, err
}

// entryOf is Entry, also saying whether the slot has several entry files.
func entryOf(esp bootloader.FS, s slot.Slot) (*bootloader.Entry, bool, error) {
	entries, err := bootloader.ReadEntries(esp)
	if err != nil {
		return nil, false, fmt.Errorf("reading boot entries: %w", err)
	}
	var found *bootloader.Entry
	n := 0
	for i := range entries {
		e := &entries[i]
		if e.ID != bootloader.SlotID(s) {
			continue
		}
		if n++; found == nil || lessTrusted(e, found) {
			found = e
		}
	}
	return found, n > 1, nil
}

// lessTrusted: an entry on trial is less trusted than a good one, and
// one with fewer tries left less than one with more.
func lessTrusted(a, b *bootloader.Entry) bool {
	switch {
	case a.Counter == nil:
		return false
	case b.Counter == nil:
		return true
	}
	return a.Counter.Left < b.Counter.Left
}
