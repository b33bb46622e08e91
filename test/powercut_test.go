//go:build e2e

package test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/partitions"
)

// Power cuts, as machines get them: the plug pulled (QEMU killed) at a
// chosen point, STATE checked with e2fsck while the machine is off, the
// machine powered on again with no one at the console. TestUpgradeAndRollback
// cuts at four points on its way (make test); TestPowerCutDraw (make fault)
// at many, drawn at random.

// userContainers are started on a fresh machine and must run again after
// every power cut: --restart always, one writing to a volume all the time.
var userContainers = []string{
	"docker run -d --name web --restart always -p 8080:80 busybox " + httpd("served-after-the-cut"),
	"docker run -d --name writer --restart always -v data:/data busybox sh -c 'while :; do date >> /data/log; sleep 1; done'",
}

func startUserContainers(t *testing.T, sh *shell) {
	t.Helper()
	for _, c := range userContainers {
		sh.run(c, 2*time.Minute)
	}
}

// powerCut pulls the plug, checks STATE on the disk while the machine is
// off, runs the other checks, and powers it on again.
func powerCut(t *testing.T, vm *qemu.VM, disk, where string, checks ...func()) {
	t.Helper()
	t.Logf("power cut: %s", where)
	if err := vm.PowerCut(); err != nil {
		t.Fatalf("power cut %s: %v", where, err)
	}
	fsckState(t, disk, where)
	for _, check := range checks {
		check()
	}
	vm.PowerOn()
}

// espEntries lists the boot entry files on disk's ESP as the firmware
// finds them, read with mtools (not the kernel, not go-diskfs).
func espEntries(t testing.TB, disk string) []string {
	t.Helper()
	p := partitionOf(t, disk, partitions.LabelESP)
	out, err := exec.Command("mdir", "-b", "-i", fmt.Sprintf("%s@@%d", disk, p.Offset()), "::/loader/entries").CombinedOutput()
	if err != nil {
		t.Fatalf("listing the boot entries on the ESP: %v\n%s", err, out)
	}
	var names []string
	for _, l := range strings.Fields(string(out)) {
		names = append(names, path.Base(l))
	}
	return names
}

// editEntry rewrites slot s's boot entry file on disk's ESP (with mtools,
// the machine off); the entry must change.
func editEntry(t testing.TB, disk string, s slot.Slot, edit func(conf []byte) []byte) {
	t.Helper()
	var name string
	for _, n := range espEntries(t, disk) {
		if strings.HasPrefix(n, "ros-"+string(s)+".") || strings.HasPrefix(n, "ros-"+string(s)+"+") {
			name = n
		}
	}
	if name == "" {
		t.Fatalf("no boot entry of slot %s on the ESP: %q", s, espEntries(t, disk))
	}
	esp := fmt.Sprintf("%s@@%d", disk, partitionOf(t, disk, partitions.LabelESP).Offset())
	local := filepath.Join(t.TempDir(), name)
	run(t, "mcopy", "-i", esp, "::/loader/entries/"+name, local)
	conf, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(conf)
	if bytes.Equal(edited, conf) {
		t.Fatalf("editing the entry %s changed nothing:\n%s", name, conf)
	}
	if err := os.WriteFile(local, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "mcopy", "-o", "-i", esp, local, "::/loader/entries/"+name)
}

// verityArg is ros.verity= of a boot entry.
var verityArg = regexp.MustCompile(` ros\.verity=\S+`)

// fsckState checks STATE as the next boot finds it: a copy of the
// partition, its journal replayed (what mounting it does), must pass
// e2fsck -fn.
func fsckState(t *testing.T, disk, where string) {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "state.img")
	copyPartition(t, disk, partitions.LabelState, cp)
	// Exit status 1: the journal was replayed.
	if out, err := exec.Command("e2fsck", "-y", "-E", "journal_only", cp).CombinedOutput(); err != nil && exitCode(err) != 1 {
		t.Fatalf("replaying STATE's journal after the power cut %s: %v\n%s", where, err, out)
	}
	if out, err := exec.Command("e2fsck", "-fn", cp).CombinedOutput(); err != nil {
		t.Fatalf("STATE after the power cut %s: e2fsck -fn: %v\n%s", where, err, out)
	}
}

// copyPartition copies the partition labelled label of disk to the file to
// (sparse) and returns where it is on the disk.
func copyPartition(t *testing.T, disk, label, to string) partitions.Placed {
	t.Helper()
	p := partitionOf(t, disk, label)
	dd := exec.Command("dd", "if="+disk, "of="+to, "bs=1M", "conv=sparse", "iflag=skip_bytes,count_bytes",
		fmt.Sprintf("skip=%d", p.Offset()), fmt.Sprintf("count=%d", p.Size()))
	if out, err := dd.CombinedOutput(); err != nil {
		t.Fatalf("copying %s: %v\n%s", label, err, out)
	}
	return p
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// upAfterCut waits for the machine to come up healthy by itself on one of
// slots (the first boot after the cut, no FATAL), then checks what a user
// relies on: the --restart always containers run again and ros os status
// answers, naming the booted slot active. It returns the slot booted.
func upAfterCut(t *testing.T, vm *qemu.VM, where string, slots ...string) (*shell, string) {
	t.Helper()
	re := regexp.MustCompile(`ros-init: (ros \S+ is up on slot (` + strings.Join(slots, "|") + `)|ros \S+ is up on slot \S+|FATAL: [^\n]*\n)`)
	m, err := vm.Console.Expect(re, 6*time.Minute)
	switch {
	case err != nil:
		t.Fatalf("after the power cut %s, ros did not come up: %v", where, err)
	case strings.HasPrefix(m[1], "FATAL"):
		t.Fatalf("after the power cut %s, ros did not come up healthy: %s", where, m[1])
	case m[2] == "":
		t.Fatalf("after the power cut %s: %s, want slot %s", where, m[1], strings.Join(slots, " or "))
	}
	sh := waitLogin(t, vm, time.Minute)
	for _, name := range []string{"web", "writer"} {
		if !sh.waitFor("docker inspect -f '{{.State.Running}}' "+name, "true", 2*time.Minute) {
			sh.diagnose("docker ps -a", "sudo system-docker logs --tail 30 docker")
			t.Fatalf("after the power cut %s, the --restart always container %s is not running", where, name)
		}
	}
	if !sh.waitFor(fetch("http://127.0.0.1:8080/")+" 2>&1", "served-after-the-cut", time.Minute) {
		t.Fatalf("after the power cut %s, the published port of web does not serve its page", where)
	}
	status := sh.run("sudo ros os status", time.Minute)
	if !regexp.MustCompile(`(?m)^` + m[2] + `\s+\S+\s+active`).MatchString(status) {
		t.Fatalf("after the power cut %s, ros os status does not show slot %s active:\n%s", where, m[2], status)
	}
	return sh, m[2]
}

// cutAt types cmd on the console (it is not waited for), waits for marker
// on the console, waits delay, then cuts the power.
func cutAt(t *testing.T, vm *qemu.VM, disk, cmd string, marker *regexp.Regexp, delay time.Duration, where string, checks ...func()) {
	t.Helper()
	if cmd != "" {
		if err := vm.Send(cmd + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := vm.Console.Expect(marker, 6*time.Minute); err != nil {
		t.Fatalf("waiting for %q before the power cut %s: %v", marker, where, err)
	}
	time.Sleep(delay)
	powerCut(t, vm, disk, where, checks...)
}

// partitionOf is where the partition labelled label is on disk.
func partitionOf(t testing.TB, disk, label string) partitions.Placed {
	t.Helper()
	table, err := partitions.Read(disk)
	if err != nil {
		t.Fatal(err)
	}
	p, err := partitions.Find(table, label)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
