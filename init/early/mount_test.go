package early

import "testing"

func TestParseUptime(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "4.31 7.02\n", want: "4.31"},
		{in: "12345.67 1.00", want: "12345.67"},
		{in: "", wantErr: true},
		{in: "abc 1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseUptime(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseUptime(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestMilestoneLines(t *testing.T) {
	got := milestoneLines([]milestone{{"init", "2.41"}, {"state", "3.02"}})
	if want := "init 2.41\nstate 3.02\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
