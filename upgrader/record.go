// Package upgrader writes a new OS image into the inactive slot and flips
// the boot loader to it with a tries counter; at boot it decides, from the
// health gate, whether the new slot is kept or given up. The record of what
// each slot holds and what is pending lives on STATE.
package upgrader

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/moby/sys/atomicwriter"
)

// RecordPath is the upgrade record on STATE (through /var).
const RecordPath = "/var/lib/ros/os/record.json"

// Record is what ros knows about its slots across boots.
type Record struct {
	Slots    map[string]SlotInfo `json:"slots"`
	Pending  *Pending            `json:"pending,omitempty"`
	LastBoot *BootResult         `json:"last_boot,omitempty"`
	Rollback *Rollback           `json:"rollback,omitempty"`
	Repo     string              `json:"repository,omitempty"` // where upgrades come from
}

// SlotInfo is the image a slot holds.
type SlotInfo struct {
	Version string `json:"version"`
	Digest  string `json:"digest,omitempty"`
}

// Pending is an upgrade written but not yet proven healthy.
type Pending struct {
	From, To               string // slots
	FromVersion, ToVersion string
	Since                  time.Time
}

// BootResult is the outcome of the last boot's health gate.
type BootResult struct {
	Slot, Version, Result, Reason string // Result: "good" or "failed"
	Time                          time.Time
}

// Rollback says which slot was given up, for what, and why.
type Rollback struct {
	FromSlot, FromVersion, ToSlot, ToVersion, Reason string
	Time                                             time.Time
}

// LoadRecord reads the record; a missing one is empty.
func LoadRecord(path string) (*Record, error) {
	r := &Record{Slots: map[string]SlotInfo{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the upgrade record: %w", err)
	}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("reading the upgrade record %s: %w", path, err)
	}
	if r.Slots == nil {
		r.Slots = map[string]SlotInfo{}
	}
	return r, nil
}

// Save writes the record atomically (temporary file, fsync, rename).
func (r *Record) Save(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("saving the upgrade record: %w", err)
	}
	if err := atomicwriter.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("saving the upgrade record: %w", err)
	}
	return nil
}

// Other is the slot that is not s.
func Other(s string) string {
	if s == "a" {
		return "b"
	}
	return "a"
}
