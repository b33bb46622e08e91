//go:build e2e && fault

package test

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/internal/verity"
	"github.com/ros-os/ros/partitions"
)

// TestPowerCutDraw (make fault) cuts the power of one machine at points
// drawn at random, ROS_FAULT_CUTS of them (default 20), from the seed
// ROS_FAULT_SEED (default: the time; printed, so a failing draw can be run
// again): on the running machine, at any phase of ros os upgrade between
// the two versions (and back, with --force), and at any milestone of the
// first boot of the new slot. After each cut the machine must come up
// healthy by itself (upAfterCut), on the old slot if the cut came before
// the commit point, on the new one once ros os upgrade said so, and the
// upgrade run again must complete and boot the new version.
func TestPowerCutDraw(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("ROS_FAULT_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("ROS_FAULT_SEED=%q: %v", s, err)
		}
	}
	cuts := 20
	if s := os.Getenv("ROS_FAULT_CUTS"); s != "" {
		cuts, _ = strconv.Atoi(s)
	}
	fmt.Printf("TestPowerCutDraw: ROS_FAULT_SEED=%d ROS_FAULT_CUTS=%d\n", seed, cuts)
	t.Logf("ROS_FAULT_SEED=%d ROS_FAULT_CUTS=%d", seed, cuts)
	rnd := rand.New(rand.NewSource(seed))

	v1, v2 := version(t), "0.2.0"
	guestRepo := serveVersions(t, map[string]string{v1: repo + "/build/oci", v2: sharedVersion(t, v2)})

	disk := installDisk(t, "--append", "ros.autologin")
	vm := boot(t, qemu.Config{Disks: []string{disk}, OVMF: true, Net: true, Reboot: true})
	waitUp(t, vm, "a")
	sh := waitLogin(t, vm, time.Minute)
	startUserContainers(t, sh)
	d := &draw{t: t, vm: vm, sh: sh, disk: disk, rnd: rnd, cur: "a", repo: guestRepo, v1: v1, v2: v2, ver: v1}
	for i := 1; i <= cuts; i++ {
		kinds := []func(string){d.running, d.upgrade, d.firstBoot}
		kind := kinds[rnd.Intn(len(kinds))]
		kind(fmt.Sprintf("cut %d/%d (seed %d)", i, cuts, seed))
	}
}

type draw struct {
	t      *testing.T
	vm     *qemu.VM
	sh     *shell
	disk   string
	rnd    *rand.Rand
	cur    string // the slot running, healthy and good
	repo   string
	v1, v2 string // the two versions upgrades alternate between
	ver    string // the version running
}

func (d *draw) other() string { return map[string]string{"a": "b", "b": "a"}[d.cur] }

// nextVersion is what an upgrade writes: the version not running.
func (d *draw) nextVersion() string {
	if d.ver == d.v1 {
		return d.v2
	}
	return d.v1
}

func (d *draw) upgradeCmd() string {
	return "sudo ros os upgrade --force --insecure " + d.repo + ":" + d.nextVersion() + " 2>&1"
}

// up waits for the machine after a cut and, once up, for boot assessment
// to have kept the slot (a forced upgrade must never overwrite the last
// good slot).
func (d *draw) up(where string, slots ...string) {
	d.t.Helper()
	sh, s := upAfterCut(d.t, d.vm, where, slots...)
	if !sh.waitFor("sudo ros os status | grep -c '^"+s+" .*active, good'", "1", 2*time.Minute) {
		sh.diagnose("sudo ros os status")
		d.t.Fatalf("%s: slot %s came up but was not kept", where, s)
	}
	if s != d.cur {
		d.ver = d.nextVersion()
	}
	d.sh, d.cur = sh, s
	if got := strings.TrimSpace(sh.run("ros os version", time.Minute)); got != d.ver {
		d.t.Fatalf("%s: slot %s runs ros %q, want %s", where, s, got, d.ver)
	}
}

func (d *draw) running(where string) {
	delay := time.Duration(d.rnd.Intn(30)) * time.Second
	where += fmt.Sprintf(": running machine on slot %s, %s after it was up", d.cur, delay)
	time.Sleep(delay)
	powerCut(d.t, d.vm, d.disk, where)
	d.up(where, d.cur)
}

// upgradePhases are what ros os upgrade prints, in order; a cut after the
// last ("boots next") must boot the new slot.
var upgradePhases = []string{`ros os upgrade: resolve`, `ros os upgrade: write`, `ros os upgrade: verify`, `ros os upgrade: flip`, `is in slot [ab] and boots next`}

func (d *draw) upgrade(where string) {
	phase := d.rnd.Intn(len(upgradePhases))
	delay := time.Duration(d.rnd.Intn(8000)) * time.Millisecond
	if phase == len(upgradePhases)-1 {
		delay /= 4
	}
	old, next := d.cur, d.other()
	where += fmt.Sprintf(": ros os upgrade from slot %s to %s (%s), %s after %q", old, next, d.nextVersion(), delay, upgradePhases[phase])
	cutAt(d.t, d.vm, d.disk, d.upgradeCmd(), regexp.MustCompile(upgradePhases[phase]), delay, where)
	switch {
	case phase < 3: // before the flip: nothing may boot the new slot
		d.up(where, old)
	case phase == 3: // the commit point is inside the flip
		d.up(where, old, next)
	default:
		d.up(where, next)
	}
	if d.cur == old { // the same upgrade again completes and boots the new version
		out := d.sh.run(d.upgradeCmd(), 6*time.Minute)
		if !strings.Contains(out, "is in slot "+next+" and boots next") {
			d.t.Fatalf("%s: running the upgrade again said:\n%s", where, out)
		}
		if err := d.vm.Send("sudo ros reboot\n"); err != nil {
			d.t.Fatal(err)
		}
		d.up(where+", then the upgrade again and a reboot", next)
	}
}

// bootMilestones are points of a boot after the initramfs found its root
// slot, in order.
var bootMilestones = []string{``, `ros-initramfs: milestone state`, `ros-init: milestone init`, `milestone system-docker`,
	`milestone services`, `milestone user-docker`, `milestone healthy`}

func (d *draw) firstBoot(where string) {
	next := d.other()
	out := d.sh.run(d.upgradeCmd(), 6*time.Minute)
	if !strings.Contains(out, "is in slot "+next+" and boots next") {
		d.t.Fatalf("%s: ros os upgrade said:\n%s", where, out)
	}
	m := bootMilestones[d.rnd.Intn(len(bootMilestones))]
	delay := time.Duration(d.rnd.Intn(3000)) * time.Millisecond
	where += fmt.Sprintf(": first boot of slot %s (%s), %s after %q", next, d.nextVersion(), delay, "root slot "+m)
	cutAt(d.t, d.vm, d.disk, "sudo ros reboot", regexp.MustCompile(`(?s)root slot PARTLABEL=ros-root-`+next+` .*?`+m), delay, where)
	d.up(where, next) // one try burnt, two left
}

// TestRollbackMatrix (make fault): a new slot that fails in each way a
// boot can fail is given up with no human action, back on the old slot in
// at most three tries, and ros os status names the rollback. Its User
// Docker cannot start (an image built so); its kernel panics (no init to
// run) or its initramfs cannot find its root (its boot entry broken on the
// ESP); its System Docker cannot start, its PID 1 crashes in the middle of
// the boot, or its init hangs before PID 1 gets to the watchdog (its root
// filesystem changed on the disk while the machine is off).
func TestRollbackMatrix(t *testing.T) {
	v1, v2, v3 := version(t), "0.2.0", "0.3.0"
	guestRepo := serveVersions(t, map[string]string{v2: sharedVersion(t, v2), v3: buildVersion(t, v3, brokenSpec(t))})
	disk := installDisk(t, "--append", "ros.autologin")
	vm := boot(t, qemu.Config{Disks: []string{disk}, OVMF: true, Net: true, Reboot: true})
	waitUp(t, vm, "a")
	sh := waitLogin(t, vm, time.Minute)
	const gate = "never passed its health gate"
	cases := []struct {
		name, version string
		entry         string                  // a sed script for the new slot's boot entry
		root          func(root string) error // changes the new slot's root filesystem
		givesUp       bool                    // its PID 1 fails the health gate and gives the slot up
		console       string                  // what the console shows of the failure
		reason        string                  // what ros os status says
	}{
		{name: "User Docker unhealthy", version: v3, givesUp: true, reason: "User Docker"},
		{name: "System Docker does not start", version: v2, root: brokenDockerd, givesUp: true,
			console: `FATAL: starting System Docker`, reason: "System Docker"},
		{name: "kernel panic (no init)", version: v2, entry: noInit, console: `Kernel panic`, reason: gate},
		{name: "initramfs cannot find its root", version: v2, entry: noRoot, console: `BOOT FAILED in the initramfs`, reason: gate},
		{name: "PID 1 crashes", version: v2, root: crashingInit, console: `Attempted to kill init`, reason: gate},
		{name: "init hangs before PID 1 gets to the watchdog", version: v2, root: hangingInit,
			console: `(?s)this init hangs.*the machine reset without a kernel message`, reason: gate},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sh := sh.on(t)
			out := sh.run("sudo ros os upgrade --force --insecure "+guestRepo+":"+c.version+" 2>&1", 6*time.Minute)
			if !strings.Contains(out, "is in slot b and boots next") {
				t.Fatalf("ros os upgrade said:\n%s", out)
			}
			if c.entry != "" {
				breakEntry(t, sh, "b", c.entry)
			}
			mark := vm.Console.Len()
			if c.root != nil {
				sh.run("sync", time.Minute)
				if err := vm.PowerCut(); err != nil {
					t.Fatal(err)
				}
				rewriteSlot(t, disk, "b", c.root)
				vm.PowerOn()
			} else if err := vm.Send("sudo ros reboot\n"); err != nil {
				t.Fatal(err)
			}
			if c.givesUp {
				if _, err := vm.Console.Expect(regexp.MustCompile(`giving up slot b`), 6*time.Minute); err != nil {
					t.Fatalf("the broken slot was not given up: %v", err)
				}
			}
			// Three tries of a hang are three watchdog timeouts.
			waitUpWithin(t, vm, "a", 8*time.Minute)
			after := vm.Console.After(mark)
			if boots := strings.Count(after, "BdsDxe: starting"); boots > 4 {
				t.Errorf("back on slot a after %d boots, want at most 4 (three tries of b, then a)", boots)
			}
			if c.console != "" && !regexp.MustCompile(c.console).MatchString(after) {
				t.Errorf("the console does not show the failure (%s)", c.console)
			}
			sh = waitLogin(t, vm, time.Minute).on(t)
			status := sh.run("sudo ros os status", time.Minute)
			if !strings.Contains(status, "rolled back: ros "+c.version+" (slot b) to ros "+v1+" (slot a)") || !strings.Contains(status, c.reason) ||
				!regexp.MustCompile(`(?m)^b\s+\S+\s+bad`).MatchString(status) {
				t.Fatalf("ros os status does not report the rollback and why (%s):\n%s", c.reason, status)
			}
		})
	}
}

// Ways to break a slot's root filesystem (for rewriteSlot). The slot's
// /sbin/init is what the initramfs starts: a link to the ros binary.
const slotInit = "usr/sbin/init"

// brokenDockerd is a dockerd that exits at once, for System Docker (and
// every later daemon) alike.
func brokenDockerd(root string) error {
	return replaceWithScript(root, "usr/sbin/dockerd", `echo "dockerd: broken in this slot" >&2; exit 1`)
}

// crashingInit starts the real PID 1, which a child kills with SIGSEGV 15 s
// later, in the middle of the boot (the gate comes at ~35 s under TCG):
// the Go runtime crashes, and the kernel panics with "Attempted to kill
// init".
func crashingInit(root string) error {
	return replaceWithScript(root, slotInit, `(/usr/bin/busybox sleep 15; echo "ros-test: crashing PID 1"; /usr/bin/busybox kill -SEGV 1) &
exec /usr/bin/ros "$@"`)
}

// hangingInit never gets to the watchdog: only the initramfs's handover
// of it resets the machine.
func hangingInit(root string) error {
	return replaceWithScript(root, slotInit, `echo "ros-test: this init hangs"
while :; do /usr/bin/busybox sleep 3600; done`)
}

func replaceWithScript(root, file, body string) error {
	p := filepath.Join(root, file)
	if _, err := os.Lstat(p); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return err
	}
	return os.WriteFile(p, []byte("#!/usr/bin/busybox sh\n"+body+"\n"), 0o755)
}

// rewriteSlot changes slot s's root filesystem on the disk image of a
// machine that is off: unpacked, changed by edit, packed again the way the
// image build packs it (an uncompressed squashfs), written back in place.
func rewriteSlot(t *testing.T, disk, s string, edit func(root string) error) {
	t.Helper()
	dir := t.TempDir()
	img, root, packed := filepath.Join(dir, "slot"), filepath.Join(dir, "root"), filepath.Join(dir, "new")
	p := copyPartition(t, disk, partitions.RootLabel(slot.Slot(s)), img)
	run(t, "unsquashfs", "-q", "-n", "-d", root, img)
	if err := edit(root); err != nil {
		t.Fatalf("changing slot %s: %v", s, err)
	}
	run(t, "mksquashfs", root, packed, "-noappend", "-quiet", "-noI", "-noD", "-noF", "-noX", "-b", "1M")
	fi, err := os.Stat(packed)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > p.Size() {
		t.Fatalf("slot %s rewritten is %d bytes, its partition %d", s, fi.Size(), p.Size())
	}
	// A slot changed behind dm-verity's back would only fail to mount: the
	// case is a slot that verifies (a broken but signed image), so it
	// gets its own hash tree, and its entry the new root hash.
	tree, err := verity.Append(packed)
	if err != nil {
		t.Fatal(err)
	}
	run(t, "dd", "if="+packed, "of="+disk, "bs=1M", "conv=notrunc,fsync", "oflag=seek_bytes", fmt.Sprintf("seek=%d", p.Offset()))
	editEntry(t, disk, slot.Slot(s), func(conf []byte) []byte {
		return verityArg.ReplaceAll(conf, []byte(" "+tree.KernelArg()))
	})
}

// TestFullState (make fault): a user's container fills STATE to the last
// block; at the next boot the machine still gives a login on the console
// (PID 1 runs the logins itself if the console service cannot start), the
// user frees the space by removing the volume, and the boot after that is
// healthy.
func TestFullState(t *testing.T) {
	disk := installDisk(t, "--append", "ros.autologin")
	vm := boot(t, qemu.Config{Disks: []string{disk}, OVMF: true, Reboot: true})
	waitUp(t, vm, "a")
	sh := waitLogin(t, vm, time.Minute)
	// As root in the container: the blocks ext4 reserves for root go too.
	sh.runStatus("docker run --rm -v fill:/fill busybox sh -c 'dd if=/dev/zero of=/fill/zeros bs=1M; sync'", 10*time.Minute)
	if out := sh.run("df -k /var/lib | tail -1", time.Minute); !regexp.MustCompile(`\s0\s+100%`).MatchString(out) {
		t.Fatalf("STATE is not full:\n%s", out)
	}
	mark := vm.Console.Len()
	if err := vm.Send("sudo ros reboot\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`ros-init: (ros \S+ is up on slot a|FATAL)`), 6*time.Minute); err != nil {
		t.Fatalf("the boot on a full STATE did not end: %v", err)
	}
	sh = waitLogin(t, vm, 2*time.Minute)
	t.Logf("the boot on a full STATE:\n%s", grepLines(vm.Console.After(mark), `ros-init: (FATAL|the console service|ros \S+ is up)`))
	if out := sh.run("ros os version && df -k /var/lib | tail -1", time.Minute); !strings.Contains(out, "100%") {
		t.Fatalf("STATE is no longer full after the reboot?\n%s", out)
	}
	// What the user does: remove the volume that filled it.
	if out, code := sh.runStatus("docker volume rm fill 2>&1", 2*time.Minute); code != "0" {
		t.Fatalf("docker volume rm fill on a full STATE: exit status %s:\n%s", code, out)
	}
	if out := sh.run("df -k /var/lib | tail -1", time.Minute); strings.Contains(out, "100%") {
		t.Fatalf("STATE is still full after docker volume rm fill:\n%s", out)
	}
	if err := vm.Send("sudo ros reboot\n"); err != nil {
		t.Fatal(err)
	}
	waitUp(t, vm, "a")
	sh = waitLogin(t, vm, time.Minute)
	if out := sh.run("docker run --rm busybox echo hello", 2*time.Minute); strings.TrimSpace(out) != "hello" {
		t.Fatalf("docker run after freeing STATE printed %q", out)
	}
}

// grepLines is the lines of s that match re.
func grepLines(s, re string) string {
	var out []string
	r := regexp.MustCompile(re)
	for _, l := range strings.Split(s, "\n") {
		if r.MatchString(l) {
			out = append(out, strings.TrimRight(l, "\r"))
		}
	}
	return strings.Join(out, "\n")
}
