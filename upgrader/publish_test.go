package upgrader

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/testimage"
	"github.com/ros-os/ros/partitions"
	"github.com/ros-os/ros/upgrader/slotstate"
)

// A successful upgrade publishes the status (slot b pending) and remembers
// the repository; while the upgrade lock is held, it changes nothing.
func TestUpgradePublishesAndLocks(t *testing.T) {
	m := newMachine(t)
	ref, _ := testimage.Layout(t, testimage.New(t, "2.0.0", "amd64", 200), "2.0.0")
	lock := filepath.Join(t.TempDir(), "upgrade.lock")
	published := filepath.Join(t.TempDir(), "run/ros/os-status.json")
	upgrade := func() error {
		sec, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
		if err != nil {
			t.Fatal(err)
		}
		defer sec.Close()
		_, err = Upgrade(context.Background(), Options{Ref: ref, Booted: "a", Running: "1.0.0", Repo: "registry.example.com/ros/os",
			Slot: sec, ESP: bootloader.DirFS(m.esp), Record: m.record, Lock: lock, Published: published, Trust: testimage.Trust(t)})
		return err
	}

	unlock, err := slotstate.Lock(lock, 0)
	if err != nil {
		t.Fatal(err)
	}
	before := m.fingerprint(t)
	if err := upgrade(); !errors.Is(err, ErrBusy) {
		t.Fatalf("upgrade while the lock is held: %v, want ErrBusy", err)
	}
	if m.fingerprint(t) != before {
		t.Fatal("an upgrade refused for the lock changed slot A, STATE or slot A's entry")
	}
	if _, err := slotstate.ReadPublished(published); !errors.Is(err, slotstate.ErrNotPublished) {
		t.Fatalf("an upgrade refused for the lock published a status: %v", err)
	}
	unlock()

	if err := upgrade(); err != nil {
		t.Fatal(err)
	}
	st, err := slotstate.ReadPublished(published)
	if err != nil {
		t.Fatal(err)
	}
	if st.Running != "1.0.0" || st.Pending == nil || st.Slots[0].State != "active, good" ||
		st.Slots[1].State != "pending" || st.Slots[1].Version != "2.0.0" {
		t.Fatalf("published status after the upgrade: %+v", st)
	}
	if rec, err := slotstate.LoadRecord(m.record); err != nil || rec.Repo != "registry.example.com/ros/os" {
		t.Fatalf("the record does not remember the repository: %+v %v", rec, err)
	}
}
