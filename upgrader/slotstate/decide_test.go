package slotstate

import (
	"reflect"
	"testing"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/slot"
)

func TestDecide(t *testing.T) {
	good := &bootloader.Entry{ID: "ros-b"}
	trial := &bootloader.Entry{ID: "ros-b", Counter: &bootloader.Counter{Left: 2, Done: 1}}
	oldTrial := &bootloader.Entry{ID: "ros-a", Counter: &bootloader.Counter{Left: 1, Done: 0}}
	toB := &Pending{From: slot.A, To: slot.B}
	tests := []struct {
		name string
		s    Situation
		want []Action
	}{
		{"new slot healthy: keep it", Situation{slot.B, trial, toB, true}, []Action{MarkGood, RecordGood, ClearPending}},
		{"new slot unhealthy: give it up at once", Situation{slot.B, trial, toB, false}, []Action{MarkBad, RecordFailed, Reboot}},
		{"new slot already good (record lost its counter)", Situation{slot.B, good, toB, true}, []Action{RecordGood, ClearPending}},
		{"back on the old slot: report the rollback", Situation{slot.A, &bootloader.Entry{ID: "ros-a"}, toB, true}, []Action{RecordRollback, ClearPending, RecordGood}},
		{"back on the old slot, itself unhealthy", Situation{slot.A, &bootloader.Entry{ID: "ros-a"}, toB, false}, []Action{RecordRollback, ClearPending, RecordFailed}},
		{"back on an old slot that was on trial", Situation{slot.A, oldTrial, toB, true}, []Action{RecordRollback, ClearPending, MarkGood, RecordGood}},
		{"trial entry without a record, healthy", Situation{slot.B, trial, nil, true}, []Action{MarkGood, RecordGood}},
		{"trial entry without a record, unhealthy", Situation{slot.B, trial, nil, false}, []Action{MarkBad, RecordFailed, Reboot}},
		{"plain boot, healthy", Situation{slot.A, good, nil, true}, []Action{RecordGood}},
		{"plain boot, unhealthy: stay up to be repaired", Situation{slot.A, good, nil, false}, []Action{RecordFailed}},
		{"no entry found (direct kernel boot)", Situation{slot.A, nil, nil, true}, []Action{RecordGood}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.s); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Decide = %v, want %v", got, tt.want)
			}
		})
	}
}
