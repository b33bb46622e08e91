package slot

import "testing"

func TestParseAndOther(t *testing.T) {
	tests := []struct {
		in    string
		want  Slot
		other Slot
		err   bool
	}{
		{"a", A, B, false},
		{"b", B, A, false},
		{"", "", "", true},
		{"c", "", "", true},
		{"A", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("Parse(%q) error = %v, want error %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !tt.err && got.Other() != tt.other {
				t.Fatalf("%s.Other() = %s, want %s", got, got.Other(), tt.other)
			}
		})
	}
}
