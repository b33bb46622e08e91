package early

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/partitions"
)

// Where device nodes show up.
const devDir = "/dev"

// How long to wait for block devices.
const (
	rootTimeout  = 30 * time.Second
	stateTimeout = 5 * time.Second // once the root slot is there
	pollInterval = 50 * time.Millisecond
	slowAfter    = 2 * time.Second
)

// match names a block device by GPT partition name or by kernel name.
type match struct {
	partlabel string // PARTNAME in the uevent
	devname   string // DEVNAME in the uevent, "vda2"
}

func (m match) String() string {
	if m.partlabel != "" {
		return "PARTLABEL=" + m.partlabel
	}
	return "/dev/" + m.devname
}

// matches reports whether a parsed uevent file is the device m names.
func (m match) matches(ue procsys.Uevent) bool {
	if ue["DEVNAME"] == "" {
		return false
	}
	if m.partlabel != "" {
		return ue["PARTNAME"] == m.partlabel
	}
	return ue["DEVNAME"] == m.devname
}

// findBlock returns the device node of the block device m names, once both
// its sysfs entry and its devtmpfs node exist.
//
// A partition name is looked for on the disk that holds the ESP
// systemd-boot started from when that is known (partitions.DeviceByLabelIn),
// so a USB stick with another ros on it is never booted; when it is not, a
// name found on more than one disk matches none.
func findBlock(sys procsys.FS, dev string, m match) (string, bool) {
	if m.partlabel != "" && sys.BootESP() != "" {
		node, err := partitions.DeviceByLabelIn(sys, dev, m.partlabel)
		if err != nil {
			return "", false
		}
		_, err = os.Stat(node)
		return node, err == nil
	}
	var nodes []string
	for _, ue := range sys.Block() {
		if !m.matches(ue) {
			continue
		}
		node := filepath.Join(dev, ue["DEVNAME"])
		if _, err := os.Stat(node); err == nil {
			nodes = append(nodes, node)
		}
	}
	if len(nodes) == 1 {
		return nodes[0], true
	}
	return "", false
}

// waitFor polls find every poll until it succeeds or timeout passes,
// calling slow once if that takes longer than slowAfter.
func waitFor(find func() (string, bool), timeout, poll, slowAfter time.Duration, slow func()) (string, bool) {
	start := time.Now()
	warned := false
	for {
		if node, ok := find(); ok {
			return node, true
		}
		waited := time.Since(start)
		if waited >= timeout {
			return "", false
		}
		if !warned && waited >= slowAfter {
			slow()
			warned = true
		}
		time.Sleep(poll)
	}
}

// describeBlock lists the block devices seen, for an error message.
func describeBlock(ues []procsys.Uevent) string {
	if len(ues) == 0 {
		return "no block devices at all (missing disk driver? see /etc/ros/initramfs-modules)"
	}
	var s []string
	for _, ue := range ues {
		d := ue["DEVNAME"]
		if ue["PARTNAME"] != "" {
			d += " (PARTLABEL=" + ue["PARTNAME"] + ")"
		}
		s = append(s, d)
	}
	return "block devices seen: " + strings.Join(s, ", ")
}

func (b *boot) wait(m match, timeout time.Duration) (string, bool) {
	return waitFor(func() (string, bool) { return findBlock(procsys.Host, devDir, m) }, timeout, pollInterval, slowAfter,
		func() { b.log.Printf("waiting up to %s for %s to appear", timeout, m) })
}

func findRoot(b *boot) error {
	m, err := rootMatch(b.args)
	if err != nil {
		return err
	}
	if w := slotMismatch(b.args, m); w != "" {
		b.log.Printf("WARNING: %s", w)
	}
	node, ok := b.wait(m, rootTimeout)
	if !ok {
		return fmt.Errorf("no block device %s after %s; %s", m, rootTimeout, describeBlock(procsys.Host.Block()))
	}
	b.rootDev = node
	b.log.Printf("root slot %s is %s", m, node)
	return nil
}

// growState grows STATE to the end of its disk when the disk is bigger
// than the table says (a cloud image on a bigger disk); its filesystem
// is grown by PID 1, online. A failure is reported, never fatal: STATE
// just stays the size it was.
func growState(b *boot) error {
	if b.stateDev == "" {
		return nil
	}
	disk := procsys.Host.DiskOf(filepath.Base(b.stateDev))
	if disk == "" {
		return nil
	}
	grew, err := partitions.Grow(filepath.Join(devDir, disk))
	if err != nil {
		b.log.Printf("growing STATE on /dev/%s: %v", disk, err)
	}
	if !grew {
		return nil
	}
	b.log.Printf("STATE grown to the end of /dev/%s", disk)
	m := match{partlabel: partitions.LabelState}
	node, ok := b.wait(m, stateTimeout) // the kernel made its nodes again
	if !ok {
		return fmt.Errorf("no block device %s after growing it; %s", m, describeBlock(procsys.Host.Block()))
	}
	b.stateDev = node
	return nil
}

func findState(b *boot) error {
	m := match{partlabel: partitions.LabelState}
	node, ok := b.wait(m, stateTimeout)
	if !ok {
		b.log.Printf("no block device %s after %s; %s", m, stateTimeout, describeBlock(procsys.Host.Block()))
		return nil // checkState reports it
	}
	b.stateDev = node
	b.log.Printf("STATE %s is %s", m, node)
	return nil
}
