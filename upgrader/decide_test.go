package upgrader

import (
	"reflect"
	"testing"

	"github.com/ros-os/ros/bootloader"
)

func TestDecide(t *testing.T) {
	good := &bootloader.Entry{ID: "ros-b"}
	trial := &bootloader.Entry{ID: "ros-b", Counter: &bootloader.Counter{Left: 2, Done: 1}}
	oldTrial := &bootloader.Entry{ID: "ros-a", Counter: &bootloader.Counter{Left: 1, Done: 0}}
	toB := &Pending{From: "a", To: "b"}
	tests := []struct {
		name string
		s    Situation
		want []Action
	}{
		{"new slot healthy: keep it", Situation{"b", trial, toB, true}, []Action{MarkGood, RecordGood, ClearPending}},
		{"new slot unhealthy: give it up at once", Situation{"b", trial, toB, false}, []Action{MarkBad, RecordFailed, Reboot}},
		{"new slot already good (record lost its counter)", Situation{"b", good, toB, true}, []Action{RecordGood, ClearPending}},
		{"back on the old slot: report the rollback", Situation{"a", &bootloader.Entry{ID: "ros-a"}, toB, true}, []Action{RecordRollback, ClearPending, RecordGood}},
		{"back on the old slot, itself unhealthy", Situation{"a", &bootloader.Entry{ID: "ros-a"}, toB, false}, []Action{RecordRollback, ClearPending, RecordFailed}},
		{"back on an old slot that was on trial", Situation{"a", oldTrial, toB, true}, []Action{RecordRollback, ClearPending, MarkGood, RecordGood}},
		{"trial entry without a record, healthy", Situation{"b", trial, nil, true}, []Action{MarkGood, RecordGood}},
		{"trial entry without a record, unhealthy", Situation{"b", trial, nil, false}, []Action{MarkBad, RecordFailed, Reboot}},
		{"plain boot, healthy", Situation{"a", good, nil, true}, []Action{RecordGood}},
		{"plain boot, unhealthy: stay up to be repaired", Situation{"a", good, nil, false}, []Action{RecordFailed}},
		{"no entry found (direct kernel boot)", Situation{"a", nil, nil, true}, []Action{RecordGood}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.s); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Decide = %v, want %v", got, tt.want)
			}
		})
	}
}
