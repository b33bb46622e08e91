//go:build e2e

package test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
)

// installDisk installs the built image with `ros install`, as a user would,
// into a new 4 GiB disk image.
func installDisk(t testing.TB, extra ...string) string {
	t.Helper()
	disk := filepath.Join(t.TempDir(), "disk.img")
	args := append([]string{"install", "--device", disk, "--size", "4G",
		"--image", "oci-layout:" + filepath.Join(repo, "build/oci") + ":" + version(t)}, extra...)
	out := run(t, filepath.Join(repo, "build/ros"), args...)
	if !strings.Contains(out, "installed ros "+version(t)) {
		t.Fatalf("ros install said:\n%s", out)
	}
	return disk
}

// The installed disk boots through OVMF and systemd-boot into slot A.
func TestInstallAndBootUEFI(t *testing.T) {
	disk := installDisk(t)
	vm := boot(t, qemu.Config{Disks: []string{disk}, OVMF: true})
	want := regexp.QuoteMeta("ros-init: ros version " + version(t) + " (commit ")
	if _, err := vm.Console.Expect(regexp.MustCompile(want), 3*time.Minute); err != nil {
		t.Fatalf("init did not start from the disk: %v", err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`ros-init: booting slot a, root PARTLABEL=ros-root-a`), time.Minute); err != nil {
		t.Fatalf("systemd-boot did not pick slot A: %v", err)
	}
	if err := vm.Wait(time.Minute); err != nil {
		t.Fatalf("the VM did not power off by itself: %v", err)
	}
}
