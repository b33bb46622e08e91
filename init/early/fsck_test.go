package early

import (
	"fmt"
	"strings"
	"testing"
)

func TestFsckVerdict(t *testing.T) {
	tests := []struct {
		code   int
		want   fsckAction
		msgHas string // "" means no message
	}{
		{code: 0, want: fsckMount},
		{code: 1, want: fsckMount, msgHas: "STATE: fsck repaired errors"},
		{code: 2, want: fsckReboot, msgHas: "reboot"},
		{code: 3, want: fsckReboot, msgHas: "reboot"},
		{code: 4, want: fsckDamaged, msgHas: "could not repair (exit 4)"},
		{code: 5, want: fsckDamaged, msgHas: "could not repair"},
		{code: 8, want: fsckDamaged, msgHas: "operational error"},
		{code: 12, want: fsckDamaged, msgHas: "could not repair"},
		{code: 16, want: fsckDamaged, msgHas: "usage"},
		{code: 32, want: fsckDamaged, msgHas: "cancelled"},
		{code: 128, want: fsckDamaged, msgHas: "shared library"},
		{code: -1, want: fsckDamaged, msgHas: "signal"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("exit %d", tt.code), func(t *testing.T) {
			got, msg := fsckVerdict(tt.code)
			if got != tt.want || !strings.Contains(msg, tt.msgHas) || (tt.msgHas == "") != (msg == "") {
				t.Errorf("fsckVerdict(%d) = %v, %q, want %v, %q", tt.code, got, msg, tt.want, tt.msgHas)
			}
		})
	}
}
