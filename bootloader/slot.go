package bootloader

import (
	"fmt"
	"strings"

	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/partitions"
)

const (
	// SortKey groups the ros entries; among them the newest version boots.
	SortKey = "ros"

	idPrefix = "ros-"
)

// SlotID is the entry id of a slot: SlotID(slot.A) is "ros-a".
func SlotID(s slot.Slot) string { return idPrefix + string(s) }

// SlotOf returns the slot of a ros entry id ("ros-a" → slot.A); ok is false
// for ids that are not ros slot entries.
func SlotOf(id string) (s slot.Slot, ok bool) {
	name, ok := strings.CutPrefix(id, idPrefix)
	s, err := slot.Parse(name)
	return s, ok && err == nil
}

// SlotDir is the ESP directory of a slot's kernel and initramfs: "ros/a".
func SlotDir(s slot.Slot) string { return "ros/" + string(s) }

// SlotEntry is the boot entry of root slot "a" or "b" holding OS version
// version, booted with the kernel command line cmdline. Its version field is
// the OS version, so that with the shared sort-key systemd-boot boots the
// newest slot first (see Pick). It has no counter: set one with Tries.
func SlotEntry(s slot.Slot, version, cmdline string) Entry {
	return Entry{
		ID:      SlotID(s),
		Title:   fmt.Sprintf("ros %s (slot %s)", version, strings.ToUpper(string(s))),
		Version: version,
		SortKey: SortKey,
		Linux:   "/" + SlotDir(s) + "/vmlinuz",
		Initrd:  "/" + SlotDir(s) + "/initrd",
		Options: options(cmdline, "root=PARTLABEL="+partitions.RootLabel(s), "ros.slot="+string(s)),
	}
}

// options joins kernel parameters, skipping empty ones. The slot's own
// parameters come last so they win over any root= or ros.slot= in the
// user's command line (the kernel and init both take the last one).
func options(params ...string) string {
	var out []string
	for _, p := range params {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// LoaderConf is the contents of /loader/loader.conf: a menu timeout in
// seconds (0 hides the menu; negative counts as 0) and the firmware's
// console mode.
//
// It has NO "default" line, on purpose. Measured with systemd-boot 252
// (FACTS.md): with "default ros-a*" systemd-boot kept booting slot A after
// its counter ran out (+0-3, +0-4, ...), because a pinned default beats the
// "bad entries sort last" rule, so there was no rollback; the
// LoaderEntryDefault EFI variable behaves the same. Without a default it
// boots the first entry in sort order (sort-key, then newest version), and
// an entry at +0 sorts last, so the other slot boots. ros picks the slot by
// ordering, never by a pinned default. Do not add one.
func LoaderConf(timeout int) []byte {
	return []byte(fmt.Sprintf(`# Written by ros. No "default" line on purpose: systemd-boot boots the
# newest ros version first and skips an entry whose boot counter ran out.
timeout %d
console-mode keep
`, max(timeout, 0)))
}
