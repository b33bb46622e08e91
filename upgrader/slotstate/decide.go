package slotstate

import (
	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/slot"
)

// Action is what boot assessment does.
type Action string

// The actions, in the order they are carried out.
const (
	MarkGood       Action = "mark-good"       // drop the booted entry's counter
	MarkBad        Action = "mark-bad"        // set the booted entry's tries to 0
	RecordGood     Action = "record-good"     // last boot: good
	RecordFailed   Action = "record-failed"   // last boot: failed, with the reason
	RecordRollback Action = "record-rollback" // the pending slot was given up
	ClearPending   Action = "clear-pending"
	Reboot         Action = "reboot" // at once: systemd-boot then picks the other slot
)

// Situation is what boot assessment knows once the health gate is decided.
type Situation struct {
	Booted  slot.Slot         // the slot this boot runs from (ros.slot)
	Entry   *bootloader.Entry // its boot entry, nil if none was found
	Pending *Pending
	Healthy bool
}

// Decide is the boot-slot state machine: a pure function from the situation
// to the actions, table-tested in decide_test.go.
func Decide(s Situation) []Action {
	trial := s.Entry != nil && s.Entry.OnTrial()
	switch {
	case s.Pending != nil && s.Booted == s.Pending.To:
		if s.Healthy {
			return append(markGood(trial), RecordGood, ClearPending)
		}
		// Keep the pending record: the old slot reports the rollback.
		return []Action{MarkBad, RecordFailed, Reboot}
	case s.Pending != nil && s.Booted == s.Pending.From:
		// The new slot failed its gate, hung or ran out of tries.
		return append(append([]Action{RecordRollback, ClearPending}, markGood(trial)...), result(s.Healthy)...)
	case trial && s.Healthy:
		return []Action{MarkGood, RecordGood}
	case trial:
		return []Action{MarkBad, RecordFailed, Reboot}
	}
	// A good entry that fails its gate has nothing to fall back to that is
	// known to be better: record it, and stay up so it can be repaired.
	return result(s.Healthy)
}

func markGood(trial bool) []Action {
	if trial {
		return []Action{MarkGood}
	}
	return nil
}

func result(healthy bool) []Action {
	if healthy {
		return []Action{RecordGood}
	}
	return []Action{RecordFailed}
}
