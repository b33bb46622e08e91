//go:build e2e

package test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
	"github.com/ros-os/ros/partitions"
)

// installDisk installs the built image with `ros install`, as a user would,
// into a new 4 GiB disk image.
func installDisk(t testing.TB, extra ...string) string {
	t.Helper()
	disk := filepath.Join(t.TempDir(), "disk.img")
	args := append([]string{"install", "--device", disk, "--size", "4G",
		"--image", "oci-layout:" + filepath.Join(repo, "build/oci") + ":" + version(t), "--trust", filepath.Join(repo, testKey+".pub")}, extra...)
	out := run(t, filepath.Join(repo, "build/ros"), args...)
	if !strings.Contains(out, "installed ros "+version(t)) {
		t.Fatalf("ros install said:\n%s", out)
	}
	return disk
}

// The installed disk boots through OVMF and systemd-boot into slot A: the
// initramfs init of the image's version mounts the slot, and the system
// stage of slot A comes up. A second disk with another ros on it (a USB
// stick, say: the same partition names) is not used: the root slot and
// STATE come from the disk systemd-boot started from.
func TestInstallAndBootUEFI(t *testing.T) {
	disk, stick := installDisk(t), installDisk(t)
	// The stick is the first disk (vda, the lower PCI address); the
	// firmware boots the second (vdb, bootindex 0), as when a stick is
	// plugged into a machine.
	vm := boot(t, qemu.Config{OVMF: true, Extra: []string{
		"-drive", "file=" + stick + ",if=none,format=raw,id=stick", "-device", "virtio-blk-pci,drive=stick,addr=0x5,bootindex=1",
		"-drive", "file=" + disk + ",if=none,format=raw,id=boot", "-device", "virtio-blk-pci,drive=boot,addr=0x6,bootindex=0"}})
	want := regexp.QuoteMeta("ros-initramfs: ros version " + version(t) + " (commit ")
	if _, err := vm.Console.Expect(regexp.MustCompile(want), 3*time.Minute); err != nil {
		t.Fatalf("init did not start from the disk: %v", err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`root slot PARTLABEL=ros-root-a is /dev/vdb2`), time.Minute); err != nil {
		t.Fatalf("slot A was not taken from the disk systemd-boot started from: %v", err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`STATE PARTLABEL=ros-state is /dev/vdb4`), time.Minute); err != nil {
		t.Fatalf("STATE was not taken from the boot disk: %v", err)
	}
	waitUp(t, vm, "a")
}

// A machine whose STATE is damaged still comes up to a login, says why and
// how to repair, and never formats STATE; its health gate fails.
func TestDamagedStateStillBoots(t *testing.T) {
	disk := installDisk(t, "--append", "ros.autologin")
	state := zeroState(t, disk)
	vm := boot(t, qemu.Config{Disks: []string{disk}, OVMF: true})
	if _, err := vm.Console.Expect(regexp.MustCompile(`STATE IS NOT MOUNTED`), 3*time.Minute); err != nil {
		t.Fatalf("no STATE banner: %v", err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`to repair: run "e2fsck /dev/vda4"`), time.Minute); err != nil {
		t.Fatalf("the banner says not how to repair: %v", err)
	}
	// Not healthy (a new slot booted like this would not be kept), but up
	// for repair: the good slot stays.
	if _, err := vm.Console.Expect(regexp.MustCompile(`FATAL: checking health: STATE is not mounted`), 4*time.Minute); err != nil {
		t.Fatalf("the health gate did not fail on the tmpfs STATE: %v", err)
	}
	sh := waitLogin(t, vm, 2*time.Minute)
	if out := sh.run("cat /run/ros/state-degraded", time.Minute); !strings.Contains(out, "/dev/vda4") {
		t.Errorf("state-degraded: %q", out)
	}
	sh.run("sudo ros poweroff", time.Minute)
	if err := vm.Wait(2 * time.Minute); err != nil {
		t.Fatalf("ros poweroff: %v", err)
	}
	if got := readAt(t, disk, state, 1<<20); !bytes.Equal(got, make([]byte, 1<<20)) {
		t.Fatal("STATE was written to: ros must never format a damaged STATE")
	}
}

// zeroState wipes the start of STATE (its superblock) and returns its offset.
func zeroState(t *testing.T, disk string) int64 {
	t.Helper()
	p := partitionOf(t, disk, partitions.LabelState)
	f, err := os.OpenFile(disk, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, 1<<20), p.Offset()); err != nil {
		t.Fatal(err)
	}
	return p.Offset()
}

func readAt(t *testing.T, path string, off int64, n int) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}
