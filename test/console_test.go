//go:build e2e

package test

import (
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/qemu"
)

// shell drives the autologin shell on the serial console, failing t.
type shell struct {
	t  *testing.T
	vm *qemu.VM
}

// markers numbers the commands typed on any console, so that no command's
// output is taken for another's, even for one typed after a command that
// timed out and may still print.
var markers atomic.Int64

// maxLine is the longest line typed: busybox ash's line editor takes 1024
// characters at most.
const maxLine = 1000

// waitLogin waits for the autologin prompt of the rancher user; it asks for
// a fresh prompt first, since the shell may have printed one already.
func waitLogin(t *testing.T, vm *qemu.VM, timeout time.Duration) *shell {
	t.Helper()
	if err := vm.Send("\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`rancher@[\w.-]+:~\$ `), timeout); err != nil {
		t.Fatalf("no login shell on the serial console: %v", err)
	}
	return &shell{t: t, vm: vm}
}

// on is the same shell for the test t (a subtest): its failures are t's.
func (s *shell) on(t *testing.T) *shell { return &shell{t: t, vm: s.vm} }

// run types cmd and returns what it printed, up to its exit status, which
// must be 0.
func (s *shell) run(cmd string, timeout time.Duration) string {
	s.t.Helper()
	out, status := s.runStatus(cmd, timeout)
	if status != "0" {
		s.t.Fatalf("%s: exit status %s:\n%s", cmd, status, out)
	}
	return out
}

// runStatus types cmd and returns what it printed and its exit status.
func (s *shell) runStatus(cmd string, timeout time.Duration) (string, string) {
	s.t.Helper()
	out, status, err := s.try(cmd, timeout)
	if err != nil {
		s.t.Fatalf("%s: %v", cmd, err)
	}
	return out, status
}

// try types cmd and returns what it printed and its exit status, or an
// error if no status came within timeout; it then types Ctrl-C, to give the
// shell back to the next command. Output is framed by markers so kernel
// messages don't confuse it.
func (s *shell) try(cmd string, timeout time.Duration) (out, status string, err error) {
	n := markers.Add(1)
	begin, end := fmt.Sprintf("<<%d", n), fmt.Sprintf("%d>>", n)
	// The typed line echoes back too: quote it so it never matches a marker.
	line := fmt.Sprintf("echo '<<''%d'; %s; echo \"%d>> $?\"\n", n, cmd, n)
	if len(line) > maxLine {
		return "", "", fmt.Errorf("the command is %d characters long, the console's line editor takes %d", len(line), maxLine)
	}
	if err := s.vm.Send(line); err != nil {
		return "", "", err
	}
	re := regexp.MustCompile(`(?s)\n` + regexp.QuoteMeta(begin) + `\r?\n(.*?)` + regexp.QuoteMeta(end) + ` (\d+)`)
	m, err := s.vm.Console.Expect(re, timeout)
	if err != nil {
		_ = s.vm.Send("\x03")
		return "", "", err
	}
	return withoutKernelLines(strings.ReplaceAll(m[1], "\r", "")), m[2], nil
}

var kernelLine = regexp.MustCompile(`(?m)^\[\s*\d+\.\d+\] .*\n`)

// withoutKernelLines drops kernel messages that the console interleaves.
func withoutKernelLines(s string) string { return kernelLine.ReplaceAllString(s, "") }

// waitUp waits until init says the system is healthy, failing at once on
// a fatal boot error.
func waitUp(t *testing.T, vm *qemu.VM, slot string) {
	t.Helper()
	waitUpWithin(t, vm, slot, 4*time.Minute)
}

// waitUpWithin is waitUp with its deadline.
func waitUpWithin(t *testing.T, vm *qemu.VM, slot string, d time.Duration) {
	t.Helper()
	m, err := vm.Console.Expect(regexp.MustCompile(`ros-init: (ros \S+ is up on slot `+slot+`|FATAL: [^\n]*\n)`), d)
	if err != nil {
		t.Fatalf("ros did not come up: %v", err)
	}
	if strings.HasPrefix(m[1], "FATAL") {
		t.Fatalf("ros did not come up healthy: %s", m[1])
	}
}

// The heart of ros: System Docker runs the services, User Docker runs the
// user's containers, each blind to the other's, with the Docker features
// users rely on (userDockerFeatures), and a User Docker volume and a
// --restart always container survive a reboot on a clean STATE.
func TestSystemAndUserDocker(t *testing.T) {
	disk := installDisk(t, "--append", "ros.autologin")
	fwd := newForwards(t)
	vm := boot(t, qemu.Config{Disks: []string{disk}, OVMF: true, Net: true, Reboot: true, Forward: fwd.rules()})
	waitUp(t, vm, "a")
	sh := waitLogin(t, vm, time.Minute)

	if out := sh.run("docker run --rm busybox echo hello", 2*time.Minute); strings.TrimSpace(out) != "hello" {
		t.Fatalf("docker run printed %q", out)
	}
	sys := sh.run("system-docker ps --format '{{.Names}}' | sort | tr '\\n' ' '", time.Minute)
	for _, svc := range []string{"console", "docker", "network", "ntp", "syslog"} {
		if !strings.Contains(sys, svc) {
			t.Errorf("system-docker ps lacks %s: %q", svc, sys)
		}
	}
	if user := sh.run("docker ps -a --format '{{.Names}}' | wc -l", time.Minute); strings.TrimSpace(user) != "0" {
		t.Errorf("docker ps -a in User Docker shows containers: %q", user)
	}
	if out := sh.run("ros service list", time.Minute); !regexp.MustCompile(`(?m)^network\s+running`).MatchString(out) ||
		regexp.MustCompile(`(?m)^\S+\s+(restarting|exited)`).MatchString(out) {
		t.Errorf("ros service list:\n%s\nntp logs:\n%s", out, sh.run("ros service logs ntp 2>&1 | tail -5", time.Minute))
	}
	if out := sh.run("ros service logs network", time.Minute); !strings.Contains(out, "network: eth0 is 10.0.2.15/24") {
		t.Errorf("ros service logs network shows no lease:\n%s", out)
	}
	userDockerFeatures(t, vm, sh, fwd)
	sh.run("docker run --rm -v data:/data busybox sh -c 'echo persisted > /data/f'", 2*time.Minute)
	firstBoot := vm.Console.String()
	if strings.Contains(firstBoot, seedCredited) {
		t.Error("the first boot credited a random seed: the installer must not write one")
	}
	if out := sh.run("sudo stat -c '%s %a' "+contract.RandomSeed, time.Minute); strings.TrimSpace(out) != "512 600" {
		t.Errorf("the first boot left no random seed for the next (size, mode): %q", out)
	}
	if err := vm.Send("sudo ros reboot\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`reboot: Restarting system`), 2*time.Minute); err != nil {
		t.Fatalf("ros reboot did not reboot: %v", err)
	}
	waitUp(t, vm, "a")
	sh = waitLogin(t, vm, time.Minute)
	if out := sh.run("docker run --rm -v data:/data busybox cat /data/f", 2*time.Minute); strings.TrimSpace(out) != "persisted" {
		t.Fatalf("the volume lost its file across the reboot: %q", out)
	}
	restartedAfterReboot(t, sh, fwd)
	checkSeeded(t, sh, vm.Console.String()[len(firstBoot):])
	if strings.Contains(vm.Console.String(), "fsck repaired") {
		t.Error("STATE needed fsck repairs after ros reboot")
	}
	if out := sh.run("cat /run/ros/boot.json", time.Minute); !strings.Contains(out, `"healthy": true`) || !strings.Contains(out, `"state": "ok"`) {
		t.Errorf("boot.json:\n%s", out)
	}
}

// seedCredited is what the initramfs logs when it initialised the kernel's
// random pool from the last boot's seed.
const seedCredited = "random pool initialised from the seed on STATE"

// checkSeeded: a boot after the first credits the seed its predecessor left,
// so the kernel's pool is ready before the system stage starts (and Docker's
// crypto/rand reads do not wait for entropy).
func checkSeeded(t *testing.T, sh *shell, console string) {
	t.Helper()
	if !strings.Contains(console, seedCredited) {
		t.Errorf("the second boot did not credit the seed the first left")
	}
	out := sh.run("sudo dmesg | awk '/crng init done/{c=NR} /system stage/{s=NR} END{print c+0, s+0}'", time.Minute)
	var crng, system int
	if _, err := fmt.Sscan(out, &crng, &system); err != nil || crng == 0 || crng >= system {
		t.Errorf("the kernel's random pool was not ready before the system stage (dmesg lines of crng init, system stage: %q)", out)
	}
}
