package slotstate

import (
	"errors"
	"fmt"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/slot"
)

// ErrOnTrial is returned when an upgrade or a rollback would leave the
// machine without a slot that has passed its health gate.
var ErrOnTrial = errors.New("on trial")

// CheckUpgrade says whether an upgrade may overwrite the slot other than
// booted. Not while booted is on trial: its entry still counts tries, or
// the record has an upgrade to it pending (its health gate has not passed).
// The other slot then holds the last system known to be good, the one
// systemd-boot falls back to.
func CheckUpgrade(booted slot.Slot, entry *bootloader.Entry, p *Pending) error {
	trial := entry != nil && entry.OnTrial()
	if !trial && (p == nil || p.To != booted) {
		return nil
	}
	return fmt.Errorf("%w: the running slot %s has not passed its health gate yet and slot %s holds the last good system: "+
		"wait until ros os status shows slot %s good, or use --force to overwrite slot %s anyway (dangerous)",
		ErrOnTrial, booted, booted.Other(), booted, booted.Other())
}

// checkRollback says whether ros os rollback may give up booted for the
// other slot, whose entry is other: only for a slot that passed its health
// gate (an entry without a counter), not one still on trial.
func checkRollback(booted slot.Slot, other *bootloader.Entry) error {
	switch {
	case other == nil || other.Bad():
		return fmt.Errorf("%w: slot %s has no good image", ErrNoRollback, booted.Other())
	case other.OnTrial():
		return fmt.Errorf("%w: %w: slot %s (ros %s) has not passed a health gate yet: boot it once as an upgrade (sudo ros reboot) and roll back once it is good",
			ErrNoRollback, ErrOnTrial, booted.Other(), other.OSVersion())
	}
	return nil
}
