package bootloader

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Pure boot-counter transitions (Automatic Boot Assessment). None of them
// touches a file system and none of them shares the input's Counter.

// Tries is the counter of a fresh entry that systemd-boot tries n times
// before it falls back to another entry: +n-0.
func Tries(n int) *Counter { return &Counter{Left: max(n, 0)} }

// MarkGood drops the counter: the slot booted fine and counting stops, as
// systemd-bless-boot does.
func MarkGood(e Entry) Entry {
	e.Counter = nil
	return e
}

// MarkBad sets tries left to 0, keeping tries done, as "systemd-bless-boot
// bad" does: systemd-boot then sorts the entry after all others.
func MarkBad(e Entry) Entry {
	c := Counter{}
	if e.Counter != nil {
		c.Done = e.Counter.Done
	}
	e.Counter = &c
	return e
}

// Booted is what systemd-boot 252 does to the entry it boots: with a counter
// it renames +L-D to +(L-1)-(D+1), never below 0 tries left (a bad entry
// that is booted anyway goes +0-3 → +0-4); without one it does nothing.
func Booted(e Entry) Entry {
	if e.Counter == nil {
		return e
	}
	e.Counter = &Counter{Left: max(e.Counter.Left-1, 0), Done: min(e.Counter.Done+1, math.MaxInt32)}
	return e
}

// Bad reports whether systemd-boot considers the entry bad: it has a
// counter with no tries left.
func (e Entry) Bad() bool { return e.Counter != nil && e.Counter.Left == 0 }

// OnTrial reports whether the entry still counts boots: it has not passed a
// health gate (or was given up, when Bad too).
func (e Entry) OnTrial() bool { return e.Counter != nil }

// Pick models how systemd-boot 252 chooses the entry to boot when
// loader.conf has no "default" line and no LoaderEntryDefault/OneShot EFI
// variable is set: it sorts the entries and boots the first. The order
// (systemd's config_entry_compare, as the specification describes it):
//
//  1. bad entries (tries left 0) after all others;
//  2. entries with a sort-key before those without;
//  3. if both have one: sort-key ascending (byte order), then machine-id
//     ascending, then version descending (CompareVersions);
//  4. then the file name, lower-cased, descending (CompareVersions). That is
//     why, without sort-keys, "b.conf" beats "a+3-0.conf" (FACTS.md).
//
// If all entries are bad, the first bad one boots. ok is false only for no
// entries. The model does not know what systemd-boot skips before sorting:
// entries whose linux file is missing and those of another architecture.
func Pick(entries []Entry) (Entry, bool) {
	if len(entries) == 0 {
		return Entry{}, false
	}
	return slices.MinFunc(entries, compareEntries), true
}

// Sort orders entries the way Pick does, the one systemd-boot boots first.
func Sort(entries []Entry) {
	slices.SortStableFunc(entries, compareEntries)
}

// compareEntries is systemd-boot 252's config_entry_compare.
func compareEntries(a, b Entry) int {
	if r := cmp.Compare(b2i(a.Bad()), b2i(b.Bad())); r != 0 {
		return r
	}
	if r := cmp.Compare(b2i(a.SortKey == ""), b2i(b.SortKey == "")); r != 0 {
		return r
	}
	if a.SortKey != "" {
		if r := cmp.Compare(a.SortKey, b.SortKey); r != 0 {
			return r
		}
		if r := cmp.Compare(a.extra("machine-id"), b.extra("machine-id")); r != 0 {
			return r
		}
		if r := -CompareVersions(a.Version, b.Version); r != 0 {
			return r
		}
	}
	// systemd-boot's entry id is the lower-cased file name, counter and
	// ".conf" included; identical names cannot happen in one directory.
	return -CompareVersions(strings.ToLower(a.FileName()), strings.ToLower(b.FileName()))
}
