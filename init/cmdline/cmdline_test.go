package cmdline

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		name, in   string
		slot, root string
	}{
		{"slot and root", "console=ttyS0 root=PARTLABEL=ROS-ROOT-A ros.slot=a quiet", "a", "PARTLABEL=ROS-ROOT-A"},
		{"quoted", `ros.slot="b" root="PARTLABEL=ROS-ROOT-B"`, "b", "PARTLABEL=ROS-ROOT-B"},
		{"none", "console=ttyS0 panic=10", "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Parse(tt.in)
			if c.Slot != tt.slot || c.Root != tt.root {
				t.Fatalf("Parse(%q) = slot %q root %q, want %q %q", tt.in, c.Slot, c.Root, tt.slot, tt.root)
			}
		})
	}
}
