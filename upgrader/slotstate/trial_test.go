package slotstate

import (
	"errors"
	"strings"
	"testing"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/slot"
)

func TestCheckUpgrade(t *testing.T) {
	good := &bootloader.Entry{ID: "ros-a", Version: "1.0.0"}
	trial := &bootloader.Entry{ID: "ros-a", Version: "1.0.0", Counter: &bootloader.Counter{Left: 2, Done: 1}}
	tests := []struct {
		name    string
		entry   *bootloader.Entry
		pending *Pending
		refused bool
	}{
		{"good slot, nothing pending", good, nil, false},
		{"good slot, the other slot's upgrade pending (rewriting it is safe)", good, &Pending{From: "a", To: "b"}, false},
		{"no entry found, nothing pending", nil, nil, false},
		{"trial entry", trial, nil, true},
		{"upgrade to the running slot pending", good, &Pending{From: "b", To: "a"}, true},
		{"trial entry and pending", trial, &Pending{From: "b", To: "a"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckUpgrade(slot.A, tt.entry, tt.pending)
			if tt.refused != (err != nil) || (err != nil && !errors.Is(err, ErrOnTrial)) {
				t.Fatalf("CheckUpgrade = %v, want refused: %v", err, tt.refused)
			}
			if err != nil && (!strings.Contains(err.Error(), "slot b holds the last good system") || strings.Contains(err.Error(), "\n")) {
				t.Errorf("message: %q", err)
			}
		})
	}
}

func TestCheckRollback(t *testing.T) {
	tests := []struct {
		name  string
		other *bootloader.Entry
		want  []error
	}{
		{"good", &bootloader.Entry{ID: "ros-b", Version: "0.9.0"}, nil},
		{"none", nil, []error{ErrNoRollback}},
		{"bad", &bootloader.Entry{ID: "ros-b", Version: "0.9.0", Counter: &bootloader.Counter{Left: 0, Done: 3}}, []error{ErrNoRollback}},
		{"on trial", &bootloader.Entry{ID: "ros-b", Version: "2.0.0", Counter: &bootloader.Counter{Left: 3}}, []error{ErrNoRollback, ErrOnTrial}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkRollback(slot.A, tt.other)
			if (err == nil) != (tt.want == nil) {
				t.Fatalf("checkRollback = %v, want %v", err, tt.want)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("checkRollback = %v, want it to wrap %v", err, w)
				}
			}
		})
	}
}
