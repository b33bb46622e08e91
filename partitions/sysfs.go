package partitions

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ros-os/ros/internal/procsys"
)

// ErrAmbiguous: more than one disk, or one disk twice, carries a ros
// partition name.
var ErrAmbiguous = errors.New("partition name found more than once")

// DeviceByLabel returns the /dev node of the partition named label on this
// machine's ros disk, e.g. /dev/vda3 for ros-root-b.
func DeviceByLabel(label string) (string, error) {
	return DeviceByLabelIn(procsys.Host, "/dev", label)
}

// DeviceByLabelIn is DeviceByLabel for the machine whose sysfs and efivarfs
// sys reads and whose device nodes are in dev (the initramfs's).
func DeviceByLabelIn(sys procsys.FS, dev, label string) (string, error) {
	return deviceByLabel(sys, dev, label)
}

// deviceByLabel keeps to the disk that holds the ESP systemd-boot started
// from (LoaderDevicePartUUID), so that a second disk or a USB stick that
// carries ros partition names is never written or mounted; with no such
// variable (efivarfs not mounted, a direct kernel boot) a name found on more
// than one disk is refused. A name found twice on one disk is refused too.
func deviceByLabel(sys procsys.FS, dev, label string) (string, error) {
	type found struct{ part, disk string }
	var cands []found
	for _, ue := range sys.Block() {
		if ue["PARTNAME"] == label && ue["DEVNAME"] != "" {
			cands = append(cands, found{ue["DEVNAME"], sys.DiskOf(ue["DEVNAME"])})
		}
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("%w: no partition named %s on this machine", ErrNotFound, label)
	}
	if boot := sys.BootESP(); boot != "" {
		var onBoot []found
		for _, c := range cands {
			if c.disk != "" && holds(dev+"/"+c.disk, boot) {
				onBoot = append(onBoot, c)
			}
		}
		if len(onBoot) == 0 {
			return "", fmt.Errorf("%w: no partition named %s on the disk systemd-boot started from (ESP %s)", ErrNotFound, label, boot)
		}
		cands = onBoot
	}
	if len(cands) > 1 {
		var where []string
		for _, c := range cands {
			where = append(where, dev+"/"+c.part)
		}
		return "", fmt.Errorf("%w: %s is on %s: remove or rename the partitions of the disk that is not this machine's ros disk",
			ErrAmbiguous, label, strings.Join(where, " and "))
	}
	return dev + "/" + cands[0].part, nil
}

// holds reports whether the disk at path has a partition with GUID uuid.
func holds(path, uuid string) bool {
	placed, err := Read(path)
	if err != nil {
		return false
	}
	for _, p := range placed {
		if strings.EqualFold(p.GUID, uuid) {
			return true
		}
	}
	return false
}
