package early

import (
	"errors"
	"strings"
	"testing"
)

func TestDegraded(t *testing.T) {
	tests := []struct {
		name      string
		d         *degraded
		reasonHas string
		repairHas string
	}{
		{name: "missing", d: stateMissing(), reasonHas: "no partition named ros-state", repairHas: "never creates or formats"},
		{name: "damaged", d: stateDamaged("/dev/vda4", "e2fsck found errors it could not repair (exit 4)"),
			reasonHas: "/dev/vda4: e2fsck found errors", repairHas: `run "e2fsck /dev/vda4" from the console`},
		{name: "unmountable", d: stateUnmountable("/dev/vda4", errors.New("invalid argument")),
			reasonHas: "mounting /dev/vda4 as ext4 failed: invalid argument", repairHas: `run "e2fsck -f /dev/vda4"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Join(tt.d.banner(), "\n")
			for _, want := range []string{"STATE IS NOT MOUNTED", "LOST at the next reboot", tt.reasonHas, tt.repairHas} {
				if !strings.Contains(text, want) {
					t.Errorf("banner %q lacks %q", text, want)
				}
			}
			lines := strings.Split(tt.d.marker(), "\n")
			if len(lines) != 3 || !strings.Contains(lines[0], tt.reasonHas) || !strings.HasPrefix(lines[1], "repair: ") {
				t.Errorf("marker = %q", tt.d.marker())
			}
		})
	}
}
