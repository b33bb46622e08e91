package partitions

import (
	"fmt"

	"github.com/ros-os/ros/internal/procsys"
)

// DeviceByLabel returns the /dev node of the partition named label on this
// machine, e.g. /dev/vda3 for ros-root-b.
func DeviceByLabel(label string) (string, error) {
	for _, ue := range procsys.Host.Block() {
		if ue["PARTNAME"] == label && ue["DEVNAME"] != "" {
			return "/dev/" + ue["DEVNAME"], nil
		}
	}
	return "", fmt.Errorf("%w: no partition named %s on this machine", ErrNotFound, label)
}
