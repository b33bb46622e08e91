package slotstate

import (
	"time"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/slot"
)

// Machine is where one machine keeps its slot state: the ESP with the boot
// entries, the upgrade record, the lock that upgrade, rollback and boot
// assessment share, and the status published for users without root.
// Host is the running machine; tests use a temporary directory.
type Machine struct {
	ESP       func() (bootloader.FS, error) // the ESP, mounted
	Record    string                        // the upgrade record
	Lock      string                        // the upgrade lock (see Lock)
	LockWait  time.Duration                 // how long boot assessment waits for the lock
	Published string                        // where the status is published; "": nowhere
	Now       func() time.Time              // nil: time.Now
}

// Host is the running machine.
var Host = Machine{ESP: MountESP, Record: RecordPath, Lock: contract.UpgradeLock, LockWait: time.Minute,
	Published: contract.OSStatus, Now: time.Now}

// Assess is boot assessment on the running machine (Machine.Assess).
func Assess(booted slot.Slot, version string, healthy bool, reason string) (reboot bool, err error) {
	return Host.Assess(booted, version, healthy, reason)
}

// RollbackTo is ros os rollback on the running machine (Machine.RollbackTo).
func RollbackTo(booted slot.Slot, version string) (string, error) {
	return Host.RollbackTo(booted, version)
}

func (m Machine) now() time.Time {
	if m.Now == nil {
		return time.Now().UTC()
	}
	return m.Now().UTC()
}

// Status reads the status of both slots live, from the ESP and the record
// (root only: the ESP is mounted for root). running is the running
// version, booted the running slot.
func (m Machine) Status(booted slot.Slot, running string) (*Status, error) {
	esp, rec, err := m.load()
	if err != nil {
		return nil, err
	}
	entries, err := bootloader.ReadEntries(esp)
	if err != nil {
		return nil, err
	}
	return StatusOf(booted, running, rec, entries), nil
}

// load mounts the ESP and reads the record.
func (m Machine) load() (bootloader.FS, *Record, error) {
	esp, err := m.ESP()
	if err != nil {
		return nil, nil, err
	}
	rec, err := LoadRecord(m.Record)
	if err != nil {
		return nil, nil, err
	}
	return esp, rec, nil
}

// publish publishes the status after a change, if the machine publishes.
func (m Machine) publish(esp bootloader.FS, booted slot.Slot, running string, rec *Record) error {
	if m.Published == "" {
		return nil
	}
	entries, err := bootloader.ReadEntries(esp)
	if err != nil {
		return err
	}
	return Publish(m.Published, StatusOf(booted, running, rec, entries))
}
