package early

import (
	"reflect"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	got := parseCmdline(`BOOT_IMAGE=/vmlinuz root=PARTLABEL=ros-root-a ros.slot=a console=ttyS0 quiet x="y"` + "\n")
	want := map[string]string{
		"BOOT_IMAGE": "/vmlinuz", "root": "PARTLABEL=ros-root-a", "ros.slot": "a",
		"console": "ttyS0", "quiet": "", "x": "y",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestRootMatch(t *testing.T) {
	tests := []struct {
		name    string
		cmdline string
		want    match
		wantErr bool
	}{
		{name: "partlabel", cmdline: "root=PARTLABEL=ros-root-a ros.slot=a", want: match{partlabel: "ros-root-a"}},
		{name: "device", cmdline: "root=/dev/vda2", want: match{devname: "vda2"}},
		{name: "nvme device", cmdline: "root=/dev/nvme0n1p2", want: match{devname: "nvme0n1p2"}},
		{name: "slot only", cmdline: "ros.slot=b", want: match{partlabel: "ros-root-b"}},
		{name: "nothing", cmdline: "console=ttyS0", wantErr: true},
		{name: "uuid", cmdline: "root=UUID=1234", wantErr: true},
		{name: "empty partlabel", cmdline: "root=PARTLABEL=", wantErr: true},
		{name: "bare /dev/", cmdline: "root=/dev/", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rootMatch(parseCmdline(tt.cmdline))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSlotMismatch(t *testing.T) {
	tests := []struct {
		name    string
		cmdline string
		warn    bool
	}{
		{name: "agree", cmdline: "root=PARTLABEL=ros-root-a ros.slot=a"},
		{name: "disagree", cmdline: "root=PARTLABEL=ros-root-b ros.slot=a", warn: true},
		{name: "no slot", cmdline: "root=PARTLABEL=ros-root-b"},
		{name: "device root", cmdline: "root=/dev/vda3 ros.slot=a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := parseCmdline(tt.cmdline)
			m, err := rootMatch(args)
			if err != nil {
				t.Fatal(err)
			}
			if got := slotMismatch(args, m); (got != "") != tt.warn {
				t.Errorf("slotMismatch = %q, want warning %v", got, tt.warn)
			}
		})
	}
}
