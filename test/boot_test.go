//go:build e2e

package test

import (
	"regexp"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
)

// The kernel and initramfs of the OS image boot to the ros init, which says
// its version and the slot the boot loader asked for, then powers off.
func TestBootDirectKernel(t *testing.T) {
	cfg, ex := osImage(t)
	vm := boot(t, qemu.Config{Kernel: ex.Kernel, Initrd: ex.Initrd,
		Append: cfg.Cmdline + " root=PARTLABEL=ros-root-b ros.slot=b"})
	want := regexp.QuoteMeta("ros-init: ros version " + cfg.Version + " (commit ")
	if _, err := vm.Console.Expect(regexp.MustCompile(want), 3*time.Minute); err != nil {
		t.Fatalf("init did not print its version: %v", err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`ros-init: booting slot b, root PARTLABEL=ros-root-b`), time.Minute); err != nil {
		t.Fatalf("init did not print the slot it was asked for: %v", err)
	}
	if err := vm.Wait(time.Minute); err != nil {
		t.Fatalf("the VM did not power off by itself: %v", err)
	}
}
