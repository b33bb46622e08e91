package qemu

import (
	"context"
	"errors"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/testutil/need"
)

func TestRestart(t *testing.T) {
	failed := errors.New("exit status 1")
	for _, c := range []struct {
		name, console string
		err           error
		want, noted   bool
	}{
		{"reboot", "ros-init: rebooting\r\n[  9.1] reboot: Restarting system\r\n", nil, true, false},
		{"panic reboot", "Kernel panic - not syncing: softlockup: hung tasks\r\nRebooting in 10 seconds..", nil, true, false},
		{"power off", "[  9.1] reboot: Power down\r\n", nil, false, false},
		{"halt", "reboot: System halted\r\n", nil, false, false},
		{"qemu failed", "qemu-system-x86_64: -drive file=x: Could not open 'x'\n", failed, false, false},
		{"watchdog reset", "ros-init: starting services\r\n", nil, true, true},
		{"watchdog reset before any output", "", nil, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, note := restart(c.console, c.err)
			if got != c.want || (note != "") != c.noted {
				t.Errorf("restart(%q, %v) = %v, %q; want %v, a note: %v", c.console, c.err, got, note, c.want, c.noted)
			}
		})
	}
}

// PowerCut kills QEMU and keeps the VM off until PowerOn starts QEMU again;
// Kill ends it, on or off.
func TestPowerCut(t *testing.T) {
	need.OnPath(t, "qemu-system-x86_64")
	vm, err := Start(context.Background(), Config{MemoryMB: 64, CPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Kill()
	first := vm.pid()
	if err := vm.PowerCut(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(first, 0); err == nil {
		t.Fatalf("QEMU (pid %d) still runs after the power cut", first)
	}
	if vm.Exited() {
		t.Fatal("the VM ended at the power cut")
	}
	if err := vm.PowerCut(); err == nil {
		t.Fatal("a second power cut of a VM that is off succeeded")
	}
	vm.PowerOn()
	if _, err := vm.Console.Expect(regexp.MustCompile(`power on after a power cut`), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for vm.pid() == first && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if second := vm.pid(); second == first || syscall.Kill(second, 0) != nil {
		t.Fatalf("no new QEMU after PowerOn (pid %d, was %d)", second, first)
	}
	if err := vm.PowerCut(); err != nil {
		t.Fatal(err)
	}
	vm.Kill() // while off
	if !vm.Exited() {
		t.Fatal("Kill of a VM that is off did not end it")
	}
}

func (vm *VM) pid() int {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.cmd.Process.Pid
}
