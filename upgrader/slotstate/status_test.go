package slotstate

import (
	"strings"
	"testing"

	"github.com/ros-os/ros/bootloader"
)

// ros os status names the dm-verity root hash each slot's entry boots it
// with, and none for an entry without one.
func TestStatusVerityRootHash(t *testing.T) {
	root := strings.Repeat("ab", 32)
	entries := []bootloader.Entry{
		bootloader.SlotEntry("a", 1, "1.0.0", "console=ttyS0 ros.verity="+root+",97500"),
		bootloader.SlotEntry("b", 2, "0.9.0", "console=ttyS0"),
	}
	st := StatusOf("a", "1.0.0", &Record{}, entries)
	if got := st.Slots[0].Verity; got != root {
		t.Errorf("slot a root hash %q, want %q", got, root)
	}
	if got := st.Slots[1].Verity; got != "" {
		t.Errorf("slot b (no ros.verity=) root hash %q, want none", got)
	}
}
