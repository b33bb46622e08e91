package procsys

import (
	"fmt"
	"strings"

	"github.com/ros-os/ros/internal/slot"
)

// Cmdline is what ros reads from the kernel command line. Where an argument
// is given twice, the last one wins, as in the kernel.
type Cmdline struct {
	Slot slot.Slot // ros.slot=a|b: the root slot the boot loader picked; "" if none or not a slot
	Root string    // root=PARTLABEL=...: where that slot lives
	Args map[string]string
	Raw  string
}

// ParseCmdline parses a kernel command line. Flags without "=" map to "".
func ParseCmdline(s string) Cmdline {
	args := map[string]string{}
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		args[k] = strings.Trim(v, `"`)
	}
	c := Cmdline{Root: args["root"], Args: args, Raw: strings.TrimSpace(s)}
	if sl, err := slot.Parse(args["ros.slot"]); err == nil {
		c.Slot = sl
	}
	return c
}

// Has reports whether the argument name is given, with or without a value.
func (c Cmdline) Has(name string) bool {
	_, ok := c.Args[name]
	return ok
}

// Cmdline reads /proc/cmdline.
func (f FS) Cmdline() (Cmdline, error) {
	b, err := f.read("/proc/cmdline")
	if err != nil {
		return Cmdline{}, fmt.Errorf("reading the kernel command line: %w", err)
	}
	return ParseCmdline(string(b)), nil
}

// BootedSlot is the root slot this machine runs from (ros.slot=).
func (f FS) BootedSlot() (slot.Slot, Cmdline, error) {
	c, err := f.Cmdline()
	if err != nil {
		return "", c, err
	}
	if c.Slot == "" {
		return "", c, fmt.Errorf("not running from a ros slot (no ros.slot=a|b on the kernel command line)")
	}
	return c.Slot, c, nil
}
