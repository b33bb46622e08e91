package rosinit

import (
	"os"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestShutdownOrder(t *testing.T) {
	tests := []struct {
		name    string
		started []string
		want    []string
	}{
		{"user docker first, then reverse start order", []string{"syslog", "network", "ntp", "docker", "console"},
			[]string{"docker", "console", "ntp", "network", "syslog"}},
		{"no user docker", []string{"syslog", "console"}, []string{"console", "syslog"}},
		{"nothing started", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shutdownOrder(tt.started); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("shutdownOrder(%v) = %v, want %v", tt.started, got, tt.want)
			}
		})
	}
}

func TestRebootCmd(t *testing.T) {
	tests := []struct {
		sig  os.Signal
		want int
	}{
		{unix.SIGTERM, unix.LINUX_REBOOT_CMD_RESTART},
		{unix.SIGINT, unix.LINUX_REBOOT_CMD_RESTART},
		{unix.SIGUSR2, unix.LINUX_REBOOT_CMD_POWER_OFF},
		{unix.SIGPWR, unix.LINUX_REBOOT_CMD_POWER_OFF},
		{unix.SIGUSR1, unix.LINUX_REBOOT_CMD_HALT},
	}
	for _, tt := range tests {
		if got, _ := rebootCmd(tt.sig); got != tt.want {
			t.Errorf("rebootCmd(%v) = %#x, want %#x", tt.sig, got, tt.want)
		}
	}
}

func TestReadMilestones(t *testing.T) {
	f := t.TempDir() + "/m"
	if err := os.WriteFile(f, []byte("init 1.25\nstate 2.5\nbogus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []Milestone{{Name: "init", Uptime: 1.25}, {Name: "state", Uptime: 2.5}}
	if got := readMilestones(f); !reflect.DeepEqual(got, want) {
		t.Fatalf("readMilestones = %v, want %v", got, want)
	}
}
