package early

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/internal/verity"
)

// A live boot (contract.LiveArg on the command line, as the medium's
// entry has it) runs from the medium: the slot image is a file there,
// attached to a loop device and opened through dm-verity as a slot is;
// STATE is a tmpfs by design, not as a fallback.

// mediumDir is where the initramfs mounts the medium; it moves to
// contract.LiveMedium in the new root once that root's /run is mounted.
const mediumDir = "/medium"

// isoVolumeID is the volume ID of the ISO9660 filesystem on r (its
// primary volume descriptor, 32 KiB in), "" if r holds none.
func isoVolumeID(r io.ReaderAt) string {
	b := make([]byte, 2048)
	if _, err := r.ReadAt(b, 16*2048); err != nil {
		return ""
	}
	if b[0] != 1 || string(b[1:6]) != "CD001" {
		return ""
	}
	return strings.TrimRight(string(b[40:72]), " \x00")
}

// findMedium returns the device node of the live medium: the one whole
// disk or CD whose ISO9660 volume ID is contract.LiveVolume (a USB stick
// written with dd has it at the same place as a CD). Two such devices
// match none: which one booted is not known.
func findMedium(sys procsys.FS, dev string) (string, bool) {
	var nodes []string
	for _, ue := range sys.Block() {
		name := ue["DEVNAME"]
		if name == "" || ue["DEVTYPE"] != "disk" || strings.HasPrefix(name, "loop") || strings.HasPrefix(name, "dm-") || strings.HasPrefix(name, "ram") {
			continue
		}
		node := filepath.Join(dev, name)
		f, err := os.Open(node)
		if err != nil {
			continue // an empty CD drive, a node not there yet
		}
		id := isoVolumeID(f)
		f.Close()
		if id == contract.LiveVolume {
			nodes = append(nodes, node)
		}
	}
	if len(nodes) == 1 {
		return nodes[0], true
	}
	return "", false
}

func findLiveMedium(b *boot) error {
	node, ok := waitFor(func() (string, bool) { return findMedium(procsys.Host, devDir) }, rootTimeout, 4*pollInterval, slowAfter,
		func() {
			b.log.Printf("waiting up to %s for the live medium (ISO9660 %s) to appear", rootTimeout, contract.LiveVolume)
		})
	if !ok {
		return fmt.Errorf("no live medium (a CD or disk with the ISO9660 volume %s, exactly one) after %s; %s",
			contract.LiveVolume, rootTimeout, describeBlock(procsys.Host.Block()))
	}
	b.rootDev = node
	b.log.Printf("live medium is %s", node)
	return nil
}

// mountLive mounts the medium and the slot image on it, through a
// read-only loop device and dm-verity with the root hash of the entry.
func mountLive(b *boot) error {
	for _, d := range []string{mediumDir, sysroot} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	if err := doMount(mount{b.rootDev, mediumDir, "iso9660", unix.MS_RDONLY, ""}); err != nil {
		return err
	}
	img := filepath.Join(mediumDir, contract.LiveRootfs)
	loop, err := attachLoop(img)
	if err != nil {
		return fmt.Errorf("attaching %s: %w", img, err)
	}
	dev := loop
	arg, ok := b.args[verity.Arg]
	if !ok {
		return fmt.Errorf("the live entry has no %s= to check the medium's root filesystem with", verity.Arg)
	}
	t, err := verity.Parse(arg)
	if err != nil {
		return err
	}
	if dev, err = verity.Open(loop, "ros-root", t); err != nil {
		return fmt.Errorf("opening %s through dm-verity: %w", img, err)
	}
	b.log.Printf("live root %s on %s opened through dm-verity as %s (root hash %x)", contract.LiveRootfs, loop, dev, t.RootHash)
	return doMount(mount{dev, sysroot, "squashfs", unix.MS_RDONLY, ""})
}

// attachLoop attaches file, read-only, to a free loop device.
func attachLoop(file string) (string, error) {
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return "", err
	}
	defer ctl.Close()
	n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
	if err != nil {
		return "", fmt.Errorf("finding a free loop device: %w", err)
	}
	node := fmt.Sprintf("/dev/loop%d", n)
	var lf *os.File
	for start := time.Now(); ; time.Sleep(pollInterval) { // devtmpfs makes the node
		if lf, err = os.OpenFile(node, os.O_RDONLY, 0); err == nil || time.Since(start) > 5*time.Second {
			break
		}
	}
	if err != nil {
		return "", err
	}
	defer lf.Close()
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	cfg := unix.LoopConfig{Fd: uint32(f.Fd()), Info: unix.LoopInfo64{Flags: unix.LO_FLAGS_READ_ONLY}}
	copy(cfg.Info.File_name[:], file)
	if err := unix.IoctlLoopConfigure(int(lf.Fd()), &cfg); err != nil {
		return "", fmt.Errorf("configuring %s: %w", node, err)
	}
	return node, nil
}

// mountLiveState mounts a tmpfs as STATE: what is written on a live
// system is gone at power-off.
func mountLiveState(b *boot) error {
	target := filepath.Join(sysroot, stateDir)
	if err := unix.Mount("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("mounting a tmpfs at %s as the live system's STATE: %w", target, err)
	}
	b.mark("state")
	return nil
}

// moveMedium moves the medium into the new root's /run, where ros install
// finds the OS image it carries.
func moveMedium(b *boot) error {
	target := filepath.Join(sysroot, contract.LiveMedium)
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", target, err)
	}
	if err := unix.Mount(mediumDir, target, "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("moving the medium to %s: %w", contract.LiveMedium, err)
	}
	return nil
}

// live picks the step for a live boot, or for an installed one.
func live(installed, liveStep func(*boot) error) func(*boot) error {
	return func(b *boot) error {
		if _, ok := b.args[contract.LiveArg]; ok {
			if liveStep == nil {
				return nil
			}
			return liveStep(b)
		}
		return installed(b)
	}
}
