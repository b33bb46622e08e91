package slotstate

import (
	"errors"
	"fmt"
	"time"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/slot"
)

// Assess runs boot assessment once the health gate is decided: under the
// upgrade lock it reads the booted slot's entry and the record, decides
// (Decide), carries the actions out and publishes the status. It returns
// true when the machine must reboot at once; then nothing is published
// (/run goes with the reboot).
func (m Machine) Assess(booted slot.Slot, version string, healthy bool, reason string) (reboot bool, err error) {
	unlock, err := Lock(m.Lock, m.LockWait)
	if err != nil {
		return false, fmt.Errorf("assessing the boot: %w", err)
	}
	defer unlock()
	rec, err := LoadRecord(m.Record)
	if err != nil {
		return false, err
	}
	esp, err := m.ESP()
	if err != nil {
		// The entry's counter is out of reach: a slot the record says is
		// on trial is given up if unhealthy (systemd-boot counts the try
		// anyway); any other stays up to be repaired.
		return !healthy && rec.Pending != nil && rec.Pending.To == booted, err
	}
	entry, dup, err := entryOf(esp, booted)
	if err != nil {
		return !healthy && rec.Pending != nil && rec.Pending.To == booted, err
	}
	if dup { // one file again, the least trusted, before renaming it
		if err := bootloader.WriteEntry(esp, *entry); err != nil {
			return !healthy && entry.OnTrial(), err
		}
	}
	a := &assessment{esp: esp, rec: rec, booted: booted, version: version, reason: reason, entry: entry, now: m.now()}
	for _, act := range Decide(Situation{Booted: booted, Entry: entry, Pending: rec.Pending, Healthy: healthy}) {
		if act == Reboot {
			reboot = true
			continue
		}
		if err := a.do(act); err != nil {
			return false, err
		}
	}
	if err := rec.Save(m.Record); err != nil || reboot {
		return reboot, err
	}
	return false, m.publish(esp, booted, version, rec)
}

type assessment struct {
	esp     bootloader.FS
	rec     *Record
	booted  slot.Slot
	version string
	reason  string
	entry   *bootloader.Entry
	now     time.Time
}

func (a *assessment) do(act Action) error {
	switch act {
	case MarkGood:
		return bootloader.SetCounter(a.esp, bootloader.SlotID(a.booted), nil)
	case MarkBad:
		if a.entry == nil {
			return nil
		}
		return bootloader.SetCounter(a.esp, bootloader.SlotID(a.booted), bootloader.MarkBad(*a.entry).Counter)
	case RecordGood:
		a.rec.LastBoot = &BootResult{Slot: a.booted, Version: a.version, Result: "good", Time: a.now}
		a.rec.Slots[a.booted] = SlotInfo{Version: a.version, Digest: a.rec.Slots[a.booted].Digest}
	case RecordFailed:
		a.rec.LastBoot = &BootResult{Slot: a.booted, Version: a.version, Result: "failed", Reason: a.reason, Time: a.now}
	case RecordRollback:
		a.rec.Rollback = rollbackOf(a.rec, a.now)
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
// which must have a good entry. It takes the upgrade lock without waiting,
// records the rollback and publishes the status. It returns the other
// slot's version once the entry is renamed, even if recording fails.
func (m Machine) RollbackTo(booted slot.Slot, version string) (string, error) {
	unlock, err := Lock(m.Lock, 0)
	if err != nil {
		return "", fmt.Errorf("rolling back: %w", err)
	}
	defer unlock()
	esp, rec, err := m.load()
	if err != nil {
		return "", err
	}
	other, err := Entry(esp, booted.Other())
	if err != nil {
		return "", err
	}
	if err := checkRollback(booted, other); err != nil {
		return "", err
	}
	cur, err := Entry(esp, booted)
	if err != nil || cur == nil {
		return "", fmt.Errorf("%w: no entry for the running slot %s", ErrNoRollback, booted)
	}
	if err := bootloader.SetCounter(esp, cur.ID, bootloader.MarkBad(*cur).Counter); err != nil {
		return "", fmt.Errorf("rolling back: %w", err)
	}
	rec.Rollback = &Rollback{FromSlot: booted, FromVersion: version, ToSlot: booted.Other(), ToVersion: other.OSVersion(),
		Reason: "ros os rollback", Time: m.now()}
	if err := rec.Save(m.Record); err != nil {
		return other.OSVersion(), err
	}
	return other.OSVersion(), m.publish(esp, booted, version, rec)
}
