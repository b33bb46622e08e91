// Package slot names the two root slots of a ros disk. A Slot is the one
// word the GPT labels (ros-root-a), the boot entries (ros-a), the kernel
// command line (ros.slot=a) and the upgrade record agree on.
package slot

import "fmt"

// Slot is a root slot: A or B.
type Slot string

// The root slots.
const (
	A Slot = "a"
	B Slot = "b"
)

// All is both slots, in order.
var All = []Slot{A, B}

// Parse reads a slot name ("a" or "b").
func Parse(s string) (Slot, error) {
	if v := Slot(s); v.Valid() {
		return v, nil
	}
	return "", fmt.Errorf("unknown root slot %q: want a or b", s)
}

// Valid reports whether s is A or B.
func (s Slot) Valid() bool { return s == A || s == B }

// Other is the slot that is not s.
func (s Slot) Other() Slot {
	if s == A {
		return B
	}
	return A
}

func (s Slot) String() string { return string(s) }
