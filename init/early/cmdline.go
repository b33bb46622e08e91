package early

import (
	"fmt"
	"github.com/ros-os/ros/init/cmdline"
	"os"
	"strings"

	"github.com/ros-os/ros/partitions"
)

// parseCmdline parses /proc/cmdline into key=value pairs.
func parseCmdline(s string) map[string]string { return cmdline.Parse(s).Args }

// rootMatch says which block device root= names: root=PARTLABEL=NAME or
// root=/dev/NAME. Without root=, ros.slot=X means PARTLABEL=ros-root-X.
func rootMatch(args map[string]string) (match, error) {
	root := args["root"]
	switch {
	case root == "" && args["ros.slot"] != "":
		return match{partlabel: partitions.RootLabel(args["ros.slot"])}, nil
	case strings.HasPrefix(root, "PARTLABEL=") && len(root) > len("PARTLABEL="):
		return match{partlabel: strings.TrimPrefix(root, "PARTLABEL=")}, nil
	case strings.HasPrefix(root, "/dev/") && len(root) > len("/dev/"):
		return match{devname: strings.TrimPrefix(root, "/dev/")}, nil
	}
	return match{}, fmt.Errorf("unsupported root=%q on the kernel command line: want root=PARTLABEL=NAME or root=/dev/NAME", root)
}

// slotMismatch warns when ros.slot and a root=PARTLABEL disagree: the boot
// entry was written wrong, and the system stage would mark the wrong slot.
func slotMismatch(args map[string]string, m match) string {
	slot := args["ros.slot"]
	if slot == "" || m.partlabel == "" || m.partlabel == partitions.RootLabel(slot) {
		return ""
	}
	return fmt.Sprintf("ros.slot=%s but root=PARTLABEL=%s (want %s): booting what root= says", slot, m.partlabel, partitions.RootLabel(slot))
}

func readCmdline(b *boot) error {
	data, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return fmt.Errorf("reading /proc/cmdline: %w", err)
	}
	b.args = parseCmdline(string(data))
	return nil
}
