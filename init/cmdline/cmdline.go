// Package cmdline reads the kernel command line the way both init stages do.
package cmdline

import "strings"

// Cmdline is what init reads from the kernel command line.
type Cmdline struct {
	Slot string // ros.slot=a|b: the root slot the boot loader picked
	Root string // root=PARTLABEL=...: where that slot lives
	Args map[string]string
}

// Parse parses /proc/cmdline. Flags without "=" map to "".
func Parse(s string) Cmdline {
	args := map[string]string{}
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		args[k] = strings.Trim(v, `"`)
	}
	return Cmdline{Slot: args["ros.slot"], Root: args["root"], Args: args}
}
