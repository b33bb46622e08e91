package bootloader

import (
	"fmt"
	"strconv"
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
// version, written as generation gen, booted with the kernel command line
// cmdline. It has no counter: set one with Tries.
//
// Its version field is "GEN-VERSION" ("7-1.2.0"): systemd-boot orders
// entries of one sort-key by that field, newest first, and the generation
// decides before the OS version is looked at. So the slot written last boots
// next whatever its version string: "1.2.0" after "1.2.0-rc.1" (which
// systemd-boot takes as newer), a downgrade, a reinstall of the same version.
// The OS version stays readable in the title and through OSVersion.
func SlotEntry(s slot.Slot, gen int, version, cmdline string) Entry {
	return Entry{
		ID:      SlotID(s),
		Title:   fmt.Sprintf("ros %s (slot %s)", version, strings.ToUpper(string(s))),
		Version: strconv.Itoa(gen) + "-" + version,
		SortKey: SortKey,
		Linux:   "/" + SlotDir(s) + "/vmlinuz",
		Initrd:  "/" + SlotDir(s) + "/initrd",
		Options: options(cmdline, "root=PARTLABEL="+partitions.RootLabel(s), "ros.slot="+string(s)),
	}
}

// Generation is the generation of a ros slot entry: the number its version
// field starts with (for an entry written before generations, the OS
// version's major number), 0 if none.
func (e Entry) Generation() int {
	digits, _ := span(e.Version, isDigit)
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0
	}
	return n
}

// OSVersion is the OS version of a ros slot entry: its version field
// without the generation.
func (e Entry) OSVersion() string {
	digits, rest := span(e.Version, isDigit)
	if v, ok := strings.CutPrefix(rest, "-"); ok && digits != "" && v != "" {
		return v
	}
	return e.Version
}

// NextGeneration is the generation of a slot written now: one more than
// any ros entry's, so that its entry sorts before all of them (an entry
// from before generations, "2.3.0", counts as 2).
func NextGeneration(entries []Entry) int {
	gen := 0
	for _, e := range entries {
		if _, ok := SlotOf(e.ID); ok && e.SortKey == SortKey {
			gen = max(gen, e.Generation())
		}
	}
	return gen + 1
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
