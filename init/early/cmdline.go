package early

import (
	"fmt"
	"strings"

	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/partitions"
)

// parseCmdline parses /proc/cmdline into key=value pairs.
func parseCmdline(s string) map[string]string { return procsys.ParseCmdline(s).Args }

// rootMatch says which block device root= names: root=PARTLABEL=NAME or
// root=/dev/NAME. Without root=, ros.slot=X means PARTLABEL=ros-root-X.
func rootMatch(args map[string]string) (match, error) {
	root := args["root"]
	switch {
	case root == "" && args["ros.slot"] != "":
		return match{partlabel: partitions.RootLabel(slot.Slot(args["ros.slot"]))}, nil
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
	s := args["ros.slot"]
	if s == "" || m.partlabel == "" || m.partlabel == partitions.RootLabel(slot.Slot(s)) {
		return ""
	}
	return fmt.Sprintf("ros.slot=%s but root=PARTLABEL=%s (want %s): booting what root= says", s, m.partlabel, partitions.RootLabel(slot.Slot(s)))
}

func readCmdline(b *boot) error {
	c, err := procsys.Host.Cmdline()
	if err != nil {
		return err
	}
	b.args = c.Args
	return nil
}
