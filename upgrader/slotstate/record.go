// Package slotstate is the state of the two root slots: the upgrade record
// on STATE (what each slot holds, what is pending, the last boot, the last
// rollback), the boot-slot state machine (Decide), boot assessment (Assess,
// run by PID 1 once its health gate is decided), ros os rollback and the
// status ros os status shows. It never writes a slot: the write path is
// package upgrader, which PID 1 does not import.
package slotstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/moby/sys/atomicwriter"

	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/slot"
)

// RecordPath is the upgrade record on STATE (through /var).
const RecordPath = contract.RecordPath

// Record is what ros knows about its slots across boots.
type Record struct {
	Slots    map[slot.Slot]SlotInfo `json:"slots"`
	Pending  *Pending               `json:"pending,omitempty"`
	LastBoot *BootResult            `json:"last_boot,omitempty"`
	Rollback *Rollback              `json:"rollback,omitempty"`
	Repo     string                 `json:"repository,omitempty"` // where upgrades come from

	// Recovered says why an earlier record was not used (it did not
	// parse, or could not be read) and where it was moved; kept until the
	// next upgrade, "" normally.
	Recovered string `json:"recovered,omitempty"`
}

// SlotInfo is the image a slot holds.
type SlotInfo struct {
	Version string `json:"version"`
	Digest  string `json:"digest,omitempty"`
}

// Pending is an upgrade written but not yet proven healthy.
type Pending struct {
	From, To               slot.Slot
	FromVersion, ToVersion string
	Since                  time.Time
}

// BootResult is the outcome of the last boot's health gate.
type BootResult struct {
	Slot                    slot.Slot
	Version, Result, Reason string // Result: "good" or "failed"
	Time                    time.Time
}

// Rollback says which slot was given up, for what, and why.
type Rollback struct {
	FromSlot, ToSlot               slot.Slot
	FromVersion, ToVersion, Reason string
	Time                           time.Time
}

// LoadRecord reads the record; a missing one is empty. One that does not
// parse (torn, or not ros's) is moved aside to PATH.bad and an empty record
// comes back, with Recovered saying so; so does one that cannot be read,
// unless for lack of permission. The record is a log of what happened: the
// boot entries alone carry what booting needs, so a bad record never
// blocks boot assessment, ros os status or an upgrade.
func LoadRecord(path string) (*Record, error) {
	r := &Record{Slots: map[slot.Slot]SlotInfo{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return r, nil
	case errors.Is(err, os.ErrPermission):
		return nil, permissionHint(fmt.Errorf("reading the upgrade record: %w", err))
	case err != nil:
		r.Recovered = fmt.Sprintf("the upgrade record %s could not be read (%v): starting a new one", path, err)
		return r, nil
	}
	if err := json.Unmarshal(b, r); err != nil {
		bad := path + ".bad"
		r = &Record{Slots: map[slot.Slot]SlotInfo{}}
		if mverr := os.Rename(path, bad); mverr != nil {
			r.Recovered = fmt.Sprintf("the upgrade record %s does not parse (%v) and could not be moved aside (%v): starting a new one", path, err, mverr)
		} else {
			r.Recovered = fmt.Sprintf("the upgrade record did not parse (%v): moved to %s, starting a new one", err, bad)
		}
		return r, nil
	}
	if r.Slots == nil {
		r.Slots = map[slot.Slot]SlotInfo{}
	}
	return r, nil
}

// Save writes the record atomically and durably (temporary file, fsync,
// rename, fsync of the directory), mode 0644: ros os list and ros os
// status read it without root. Without the directory's fsync a power cut
// seconds after ros os upgrade returned lost the rename on ext4, and with
// it the pending upgrade: the rollback that followed went unexplained.
func (r *Record) Save(path string) error {
	if err := writeJSON(path, r); err != nil {
		return fmt.Errorf("saving the upgrade record: %w", err)
	}
	return nil
}

// writeJSON writes v as indented JSON to path, atomically and durably
// (temporary file, fsync, rename, fsync of the directory), mode 0644
// whatever the umask.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := atomicwriter.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
