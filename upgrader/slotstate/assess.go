package slotstate

import (
	"errors"
	"fmt"
	"time"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/slot"
)

// Assess runs boot assessment once the health gate is decided: it reads the
// booted slot's entry and the record, decides (Decide) and carries the
// actions out. It returns true when the machine must reboot at once.
func Assess(booted slot.Slot, version string, healthy bool, reason string) (reboot bool, err error) {
	esp, err := MountESP()
	if err != nil {
		return false, err
	}
	rec, err := LoadRecord(RecordPath)
	if err != nil {
		return false, err
	}
	entry, err := Entry(esp, booted)
	if err != nil {
		return false, err
	}
	a := &assessment{esp: esp, rec: rec, booted: booted, version: version, reason: reason, entry: entry}
	for _, act := range Decide(Situation{Booted: booted, Entry: entry, Pending: rec.Pending, Healthy: healthy}) {
		if act == Reboot {
			reboot = true
			continue
		}
		if err := a.do(act); err != nil {
			return false, err
		}
	}
	return reboot, rec.Save(RecordPath)
}

type assessment struct {
	esp     bootloader.FS
	rec     *Record
	booted  slot.Slot
	version string
	reason  string
	entry   *bootloader.Entry
}

func (a *assessment) do(act Action) error {
	now := time.Now().UTC()
	switch act {
	case MarkGood:
		return bootloader.SetCounter(a.esp, bootloader.SlotID(a.booted), nil)
	case MarkBad:
		if a.entry == nil {
			return nil
		}
		return bootloader.SetCounter(a.esp, bootloader.SlotID(a.booted), bootloader.MarkBad(*a.entry).Counter)
	case RecordGood:
		a.rec.LastBoot = &BootResult{Slot: a.booted, Version: a.version, Result: "good", Time: now}
		a.rec.Slots[a.booted] = SlotInfo{Version: a.version, Digest: a.rec.Slots[a.booted].Digest}
	case RecordFailed:
		a.rec.LastBoot = &BootResult{Slot: a.booted, Version: a.version, Result: "failed", Reason: a.reason, Time: now}
	case RecordRollback:
		a.rec.Rollback = rollbackOf(a.rec, now)
	case ClearPending:
		a.rec.Pending = nil
	default:
		return fmt.Errorf("unknown action %s", act)
	}
	return nil
}

// rollbackOf explains why the pending slot was given up.
func rollbackOf(r *Record, now time.Time) *Rollback {
	p := r.Pending
	why := "the new slot never passed its health gate (it hung, panicked or ran out of tries)"
	if lb := r.LastBoot; lb != nil && lb.Slot == p.To && lb.Result == "failed" {
		why = lb.Reason
	}
	return &Rollback{FromSlot: p.To, FromVersion: p.ToVersion, ToSlot: p.From, ToVersion: p.FromVersion, Reason: why, Time: now}
}

// ErrNoRollback: the other slot holds nothing good to go back to.
var ErrNoRollback = errors.New("nothing to roll back to")

// RollbackTo makes the other slot the next boot: the running slot's entry
// is marked bad (tries 0), so systemd-boot sorts it after the other one,
// which must have a good entry. It returns the other slot's version.
func RollbackTo(booted slot.Slot, version string) (string, error) {
	esp, err := MountESP()
	if err != nil {
		return "", err
	}
	other, err := Entry(esp, booted.Other())
	if err != nil {
		return "", err
	}
	if other == nil || other.Bad() {
		return "", fmt.Errorf("%w: slot %s has no good image", ErrNoRollback, booted.Other())
	}
	cur, err := Entry(esp, booted)
	if err != nil || cur == nil {
		return "", fmt.Errorf("%w: no entry for the running slot %s", ErrNoRollback, booted)
	}
	if err := bootloader.SetCounter(esp, cur.ID, bootloader.MarkBad(*cur).Counter); err != nil {
		return "", err
	}
	rec, err := LoadRecord(RecordPath)
	if err != nil {
		return "", err
	}
	rec.Rollback = &Rollback{FromSlot: booted, FromVersion: version, ToSlot: booted.Other(), ToVersion: other.Version,
		Reason: "ros os rollback", Time: time.Now().UTC()}
	return other.Version, rec.Save(RecordPath)
}
