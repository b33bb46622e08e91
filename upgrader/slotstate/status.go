package slotstate

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/internal/verity"
)

// SlotStatus is one slot in `ros os status`.
type SlotStatus struct {
	Slot    slot.Slot `json:"slot"`
	Version string    `json:"version,omitempty"`
	Digest  string    `json:"digest,omitempty"`
	State   string    `json:"state"` // active, pending, good, bad, empty
	Entry   string    `json:"entry,omitempty"`
	// Verity is the dm-verity root hash the slot's entry boots it with.
	Verity string `json:"verity_root_hash,omitempty"`
}

// Status is what `ros os status -o json` prints.
type Status struct {
	Running  string       `json:"running"`
	Slots    []SlotStatus `json:"slots"`
	LastBoot *BootResult  `json:"last_boot,omitempty"`
	Rollback *Rollback    `json:"rollback,omitempty"`
	Pending  *Pending     `json:"pending,omitempty"`
	Note     string       `json:"note,omitempty"` // e.g. the record was bad and moved aside
}

// StatusOf derives the status of both slots from the record and the boot
// entries; running is the running version, booted the running slot.
func StatusOf(booted slot.Slot, running string, rec *Record, entries []bootloader.Entry) *Status {
	st := &Status{Running: running, LastBoot: rec.LastBoot, Rollback: rec.Rollback, Pending: rec.Pending, Note: rec.Recovered}
	for _, s := range slot.All {
		st.Slots = append(st.Slots, slotStatus(s, booted, rec, entries))
	}
	return st
}

func slotStatus(s, booted slot.Slot, rec *Record, entries []bootloader.Entry) SlotStatus {
	ss := SlotStatus{Slot: s, Version: rec.Slots[s].Version, Digest: rec.Slots[s].Digest, State: "empty"}
	for _, e := range entries {
		if e.ID != bootloader.SlotID(s) {
			continue
		}
		ss.Entry = e.FileName()
		ss.Verity = verityRoot(e.Options)
		if ss.Version == "" {
			ss.Version = e.OSVersion()
		}
		switch {
		case e.Bad():
			ss.State = "bad"
		case e.OnTrial():
			ss.State = "pending"
		default:
			ss.State = "good"
		}
	}
	if s == booted {
		ss.State = "active, " + ss.State
	}
	return ss
}

// verityRoot is the root hash of the ros.verity= argument in options.
func verityRoot(options string) string {
	for _, f := range strings.Fields(options) {
		if v, ok := strings.CutPrefix(f, verity.Arg+"="); ok {
			if t, err := verity.Parse(v); err == nil {
				return hex.EncodeToString(t.RootHash)
			}
		}
	}
	return ""
}

// ErrNotPublished: no status was published at this boot.
var ErrNotPublished = errors.New("no OS status was published at this boot")

// Publish writes the status to path for users without root (mode 0644,
// atomically): boot assessment, ros os upgrade and ros os rollback
// publish it to contract.OSStatus after each change.
func Publish(path string, st *Status) error {
	if err := writeJSON(path, st); err != nil {
		return fmt.Errorf("publishing the OS status: %w", err)
	}
	return nil
}

// ReadPublished reads the status Publish wrote to path.
func ReadPublished(path string) (*Status, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w (%s): run it with sudo", ErrNotPublished, path)
	}
	if err != nil {
		return nil, permissionHint(fmt.Errorf("reading the published OS status: %w", err))
	}
	st := &Status{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("reading the published OS status %s: %w: run it with sudo", path, err)
	}
	return st, nil
}
