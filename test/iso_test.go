//go:build e2e

package test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
)

// emptyDisk is a new, empty (sparse) 4 GiB disk image.
func emptyDisk(t testing.TB) string {
	t.Helper()
	disk := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(disk, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(disk, 4<<30); err != nil {
		t.Fatal(err)
	}
	return disk
}

// liveISO writes the live medium of the built image, as make iso does.
func liveISO(t testing.TB) string {
	t.Helper()
	iso := filepath.Join(t.TempDir(), "ros.iso")
	run(t, mkimage(t), "iso", "--image", "oci-layout:"+filepath.Join(repo, "build/oci")+":"+version(t), "--out", iso)
	return iso
}

// waitLive waits for the live system to pass its health gate.
func waitLive(t *testing.T, vm *qemu.VM) {
	t.Helper()
	m, err := vm.Console.Expect(regexp.MustCompile(`ros-init: (ros \S+ is up live[^\n]*|FATAL: [^\n]*)\n`), 6*time.Minute)
	if err != nil {
		t.Fatalf("the live system did not come up: %v", err)
	}
	if strings.HasPrefix(m[1], "FATAL") {
		t.Fatalf("the live system did not come up healthy: %s", m[1])
	}
}

// The live ISO, booted from a CD under OVMF with an empty disk, a 1 GiB
// one and no network: ros comes up live and healthy, runs a container;
// `ros install` lists the disks, refuses the medium, the small disk and a
// cloud-config that does not validate, writing nothing; it installs the
// image the medium carries with a cloud-config. The disk alone then boots
// healthy with that config and upgrades from the registry.
func TestLiveISO(t *testing.T) {
	const v2 = "0.2.0"
	reg := startRegistry(t)
	guestRepo := pushVersions(t, reg, "ros/os", map[string]string{v2: sharedVersion(t, v2)})
	iso := liveISO(t)
	disk := emptyDisk(t)
	small := filepath.Join(t.TempDir(), "small.img")
	run(t, "truncate", "-s", "1G", small)
	vm := boot(t, qemu.Config{CDROM: iso, Disks: []string{disk, small}, OVMF: true})
	waitLive(t, vm)
	sh := waitLogin(t, vm, time.Minute)
	if out := sh.run("docker run --rm busybox echo live-ok", 2*time.Minute); !strings.Contains(out, "live-ok") {
		t.Errorf("User Docker on the live system: %s", out)
	}

	out, code := sh.runStatus("sudo ros install 2>&1", time.Minute)
	if code == "0" || !regexp.MustCompile(`(?m)^/dev/vda\s+4\.3 GB\s+.*nothing\r?$`).MatchString(out) || !strings.Contains(out, "no --device given") {
		t.Fatalf("sudo ros install without -d on the live system: exit status %s:\n%s", code, out)
	}
	out, code = sh.runStatus("sudo ros install -d /dev/sr0 2>&1", time.Minute)
	if code == "0" || !regexp.MustCompile(`(?m)^ros: /dev/sr0 is the live medium ros is running from: install onto another disk`).MatchString(out) {
		t.Fatalf("sudo ros install onto the live medium: exit status %s:\n%s", code, out)
	}
	out, code = sh.runStatus("sudo ros install -d /dev/vdb 2>&1", time.Minute)
	if code == "0" || !regexp.MustCompile(`(?m)^ros: .*/dev/vdb.*ros needs at least .*\r?$`).MatchString(out) {
		t.Fatalf("sudo ros install onto a 1 GiB disk: exit status %s:\n%s", code, out)
	}
	sh.run(`printf '#cloud-config\nhostnme: typo\n' > /tmp/bad.yml`, time.Minute)
	out, code = sh.runStatus("sudo ros install -d /dev/vda -c /tmp/bad.yml 2>&1", time.Minute)
	if code == "0" || !strings.Contains(out, `unknown key "hostnme"`) {
		t.Fatalf("sudo ros install with a cloud-config that does not validate: exit status %s:\n%s", code, out)
	}
	// Nothing was written: both disks still hold nothing.
	out, _ = sh.runStatus("sudo ros install 2>&1", time.Minute)
	for _, d := range []string{"/dev/vda", "/dev/vdb"} {
		if !regexp.MustCompile(`(?m)^` + d + `\s+.*nothing\r?$`).MatchString(out) {
			t.Fatalf("after the refused installs, %s does not hold nothing:\n%s", d, out)
		}
	}
	sh.run(`printf '#cloud-config\nhostname: installed-from-iso\n' > /tmp/cc.yml`, time.Minute)
	out = sh.run("sudo ros install -d /dev/vda -c /tmp/cc.yml --append ros.autologin 2>&1", 10*time.Minute)
	if !strings.Contains(out, "installed ros "+version(t)) || !strings.Contains(out, "signed by") {
		t.Fatalf("sudo ros install -d /dev/vda said:\n%s", out)
	}
	if err := vm.Send("sudo poweroff\n"); err != nil {
		t.Fatal(err)
	}
	if err := vm.Wait(2 * time.Minute); err != nil {
		t.Fatalf("the live system did not power off: %v", err)
	}

	if got := espEntries(t, disk); !slices.Contains(got, "ros-a.conf") {
		t.Fatalf("after ros install from the live system the ESP holds %v, want ros-a.conf", got)
	}

	// The disk alone boots healthy on slot a with the cloud-config, and
	// upgrades from the registry as any installed machine does.
	vm = boot(t, qemu.Config{Disks: []string{disk}, OVMF: true, Net: true, Reboot: true})
	waitUp(t, vm, "a")
	sh = waitLogin(t, vm, time.Minute)
	if got := strings.TrimSpace(sh.run("hostname", time.Minute)); got != "installed-from-iso" {
		t.Errorf("the disk installed from the live system has hostname %q, want the cloud-config's", got)
	}
	out = sh.run("sudo ros os upgrade --insecure "+guestRepo+":"+v2+" 2>&1", 5*time.Minute)
	if !strings.Contains(out, "ros "+v2+" is in slot b and boots next") {
		t.Fatalf("ros os upgrade on the disk installed from the live system said:\n%s", out)
	}
	if err := vm.Send("sudo reboot\n"); err != nil {
		t.Fatal(err)
	}
	waitUp(t, vm, "b")
}

// The same ISO written raw to a USB stick (a virtio disk here), made with
// a cloud-config and ros.install.device: with no keystrokes it boots live,
// installs onto the other disk and powers off; that disk then boots alone,
// healthy, with the medium's cloud-config.
func TestLiveUSBUnattended(t *testing.T) {
	cc := filepath.Join(t.TempDir(), "cc.yml")
	if err := os.WriteFile(cc, []byte("#cloud-config\nhostname: unattended\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stick := filepath.Join(t.TempDir(), "stick.img")
	run(t, mkimage(t), "iso", "--image", "oci-layout:"+filepath.Join(repo, "build/oci")+":"+version(t), "--out", stick,
		"--append", "ros.install.device=/dev/vdb", "--cloud-config", cc)
	disk := emptyDisk(t)
	vm := boot(t, qemu.Config{Disks: []string{stick, disk}, OVMF: true})
	waitLive(t, vm)
	if _, err := vm.Console.Expect(regexp.MustCompile(`unattended install onto /dev/vdb done: powering off`), 10*time.Minute); err != nil {
		t.Fatalf("no unattended install: %v", err)
	}
	if err := vm.Wait(2 * time.Minute); err != nil {
		t.Fatalf("the live system did not power off after the install: %v", err)
	}
	if !strings.Contains(vm.Console.String(), "unattended install: installed ros "+version(t)) {
		t.Errorf("the install's own report is not on the console")
	}

	vm = boot(t, qemu.Config{Disks: []string{disk}, OVMF: true})
	waitUp(t, vm, "a")
	if err := vm.Send("\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`unattended login:`), time.Minute); err != nil {
		t.Fatalf("the installed disk does not show the medium's cloud-config hostname: %v", err)
	}
}
