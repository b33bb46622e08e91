package cli

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/upgrader/slotstate"
)

// Without root, ros os status shows what was published, or says in one
// line to use sudo.
func TestOSStatusWithoutRoot(t *testing.T) {
	p := filepath.Join(t.TempDir(), "os-status.json")
	if _, err := osStatus(false, p); !errors.Is(err, slotstate.ErrNotPublished) || !strings.Contains(err.Error(), "sudo") ||
		strings.Contains(err.Error(), "\n") {
		t.Fatalf("nothing published: %v", err)
	}
	rec := &slotstate.Record{Slots: map[slot.Slot]slotstate.SlotInfo{slot.A: {Version: "1.0.0"}, slot.B: {Version: "2.0.0"}},
		Pending: &slotstate.Pending{From: slot.A, To: slot.B, FromVersion: "1.0.0", ToVersion: "2.0.0"}}
	a, b := bootloader.SlotEntry(slot.A, 1, "1.0.0", ""), bootloader.SlotEntry(slot.B, 2, "2.0.0", "")
	b.Counter = bootloader.Tries(3)
	if err := slotstate.Publish(p, slotstate.StatusOf(slot.A, "1.0.0", rec, []bootloader.Entry{a, b})); err != nil {
		t.Fatal(err)
	}
	st, err := osStatus(false, p)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetOut(&out)
	if err := printStatus(cmd, st); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a     1.0.0    active, good  ros-a.conf", "b     2.0.0    pending       ros-b+3-0.conf",
		"pending: ros 2.0.0 in slot b, on trial"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("ros os status lacks %q:\n%s", want, out.String())
		}
	}
}
