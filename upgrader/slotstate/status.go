package slotstate

import (
	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/slot"
)

// SlotStatus is one slot in `ros os status`.
type SlotStatus struct {
	Slot    slot.Slot `json:"slot"`
	Version string    `json:"version,omitempty"`
	Digest  string    `json:"digest,omitempty"`
	State   string    `json:"state"` // active, pending, good, bad, empty
	Entry   string    `json:"entry,omitempty"`
}

// Status is what `ros os status -o json` prints.
type Status struct {
	Running  string       `json:"running"`
	Slots    []SlotStatus `json:"slots"`
	LastBoot *BootResult  `json:"last_boot,omitempty"`
	Rollback *Rollback    `json:"rollback,omitempty"`
	Pending  *Pending     `json:"pending,omitempty"`
}

// StatusOf derives the status of both slots from the record and the boot
// entries; running is the running version, booted the running slot.
func StatusOf(booted slot.Slot, running string, rec *Record, entries []bootloader.Entry) *Status {
	st := &Status{Running: running, LastBoot: rec.LastBoot, Rollback: rec.Rollback, Pending: rec.Pending}
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
		if ss.Version == "" {
			ss.Version = e.Version
		}
		switch {
		case e.Bad():
			ss.State = "bad"
		case e.Counter != nil:
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
