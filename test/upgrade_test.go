//go:build e2e

package test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/internal/qemu"
	"github.com/ros-os/ros/internal/registry"
	"github.com/ros-os/ros/partitions"
)

// buildVersion builds the OS at version v with `make image`, from spec (or
// the repository's images/os.yaml), into its own build directory, sharing
// the package cache; it returns the OCI layout.
func buildVersion(t testing.TB, v, spec string) string {
	t.Helper()
	return buildVersionIn(t, filepath.Join(t.TempDir(), "build-"+v), v, spec)
}

// buildVersionIn is buildVersion into dir, emptied first.
func buildVersionIn(t testing.TB, dir, v, spec string) string {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if spec == "" {
		spec = filepath.Join(specCopy(t), "os.yaml")
	}
	run(t, "make", "-s", "image", "VERSION="+v, "BUILD="+dir, "CACHE="+filepath.Join(repo, "build/cache"), "SPEC="+spec)
	return filepath.Join(dir, "oci")
}

// transferRE is what ros os upgrade says it downloaded (or would).
var transferRE = regexp.MustCompile(`download(?:ed)? [0-9.]+ MB of the [0-9.]+ MB image \(([0-9.]+) %: root filesystem [0-9.]+ MB, kernel and initramfs [0-9.]+ MB\), [0-9.]+ MB reused from slot a`)

// specCopy is a copy of images/ whose root filesystem chunks are
// compressed with zstd -3: the versions the tests upgrade to take seconds
// to compress instead of a minute or more, and go through the same code
// (bigger chunks of the same squashfs, the same chunk boundaries and
// digests). make image, which the tests install, and
// TestBuildIsReproducible keep the release level. The copy also has one
// Debian package more (tree, /usr/bin/tree): a version built from it
// differs from make image's by a package, as a real upgrade does, and by
// its version (the ros binary, os-release, the service images' tags).
func specCopy(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	run(t, "cp", "-r", filepath.Join(repo, "images")+"/.", dir)
	p := filepath.Join(dir, "os.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	quick := regexp.MustCompile(`(?m)^(\s*chunks: \{.*zstd: \[)-19\]`).ReplaceAllString(string(b), `$1-3]`)
	if quick == string(b) {
		t.Fatal("images/os.yaml: no rootfs chunks at zstd -19 to make quicker")
	}
	more := strings.Replace(quick, "\nlinks:\n", "\n  - name: tree\n    files: [usr/bin/tree]\n\nlinks:\n", 1)
	if more == quick {
		t.Fatal("images/os.yaml: no links: section after the packages to add tree before")
	}
	quick = more
	if err := os.WriteFile(p, []byte(quick), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveVersions starts a registry on the host, stopped when the test ends,
// pushes the OCI layout of each version (version: layout directory) to it as
// ros/os:VERSION, and returns that repository as the guest reaches it
// (QEMU user networking, the host at 10.0.2.2).
func serveVersions(t testing.TB, layouts map[string]string) string {
	t.Helper()
	return pushVersions(t, startRegistry(t), "ros/os", layouts)
}

// startRegistry starts a registry on the host, stopped when the test ends.
func startRegistry(t testing.TB) *registry.Registry {
	t.Helper()
	reg, err := registry.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Stop)
	return reg
}

// pushVersions pushes each layout (version: directory) with its
// signatures to reg as REPO:VERSION and returns REPO as the guest reaches it.
func pushVersions(t testing.TB, reg *registry.Registry, repo string, layouts map[string]string) string {
	t.Helper()
	mk := mkimage(t)
	for v, dir := range layouts {
		run(t, mk, "push", "--insecure", "--from", "oci-layout:"+dir+":"+v, reg.Addr+"/"+repo+":"+v)
	}
	return "10.0.2.2:" + port(reg.Addr) + "/" + repo
}

// pushUnsigned pushes the image of version v in the layout dir to reg as
// REPO:v without its signatures, and returns REPO as the guest reaches it.
func pushUnsigned(t testing.TB, reg *registry.Registry, repo, dir, v string) string {
	t.Helper()
	img, err := artifact.Open("oci-layout:" + dir + ":" + v)
	if err != nil {
		t.Fatal(err)
	}
	if err := artifact.Push(img, reg.Addr+"/"+repo+":"+v, artifact.WithInsecure()); err != nil {
		t.Fatal(err)
	}
	return "10.0.2.2:" + port(reg.Addr) + "/" + repo
}

// blobBytes is what reg has served of repo's blobs so far.
func blobBytes(t testing.TB, reg *registry.Registry, repo string) int64 {
	t.Helper()
	n, err := reg.BlobBytes(repo)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// imageSize is the size of the layers of version v in the layout dir: the
// whole OS image as a first install downloads it.
func imageSize(t testing.TB, dir, v string) int64 {
	t.Helper()
	img, err := artifact.Open("oci-layout:" + dir + ":" + v)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

// brokenSpec is images/ with a User Docker service that cannot start.
func brokenSpec(t *testing.T) string {
	t.Helper()
	dir := specCopy(t)
	svc := filepath.Join(dir, "services.yaml")
	b, err := os.ReadFile(svc)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(b), "entrypoint: [/usr/bin/ros, user-docker]", "entrypoint: [/bin/false]", 1)
	if broken == string(b) {
		t.Fatal("could not break the docker service in services.yaml")
	}
	if err := os.WriteFile(svc, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "os.yaml")
}

// Upgrade, rollback and an automatic rollback, end to end: a real registry
// on the host, reached by the guest through QEMU user networking at 10.0.2.2.
func TestUpgradeAndRollback(t *testing.T) {
	v1 := version(t)
	const v2 = "0.2.0"
	reg := startRegistry(t)
	guestRepo := pushVersions(t, reg, "ros/os", map[string]string{v2: sharedVersion(t, v2)})
	unsignedRepo := pushUnsigned(t, reg, "ros/unsigned", sharedVersion(t, v2), v2)

	disk := installDisk(t, "--append", "ros.autologin")
	vm := boot(t, qemu.Config{Disks: []string{disk}, OVMF: true, Net: true, Reboot: true})
	waitUp(t, vm, "a")
	sh := waitLogin(t, vm, time.Minute)
	sh.run("docker run --rm -v data:/data busybox sh -c 'echo kept > /data/f'", 2*time.Minute)
	sh.run("echo mine > ~/mine.txt && sudo sh -c 'echo mine > /opt/mine.txt'", time.Minute)
	startUserContainers(t, sh)

	// Power cut 1: a running machine, no upgrade involved.
	time.Sleep(15 * time.Second)
	powerCut(t, vm, disk, "of the running machine")
	sh, _ = upAfterCut(t, vm, "of the running machine", "a")

	// Power cut 2: while ros os upgrade writes slot b. Slot a boots, slot b
	// has no entry, and the same upgrade run again completes.
	upgrade := "sudo ros os upgrade --insecure " + guestRepo + ":" + v2 + " 2>&1"
	cutAt(t, vm, disk, upgrade, regexp.MustCompile(`ros os upgrade: write\r?\n`), 10*time.Second, "while ros os upgrade writes slot b")
	sh, _ = upAfterCut(t, vm, "while ros os upgrade writes slot b", "a")
	if status := sh.run("sudo ros os status", time.Minute); !regexp.MustCompile(`(?m)^b\s+(\S+\s+)?empty`).MatchString(status) {
		t.Fatalf("after a power cut while slot b was written, ros os status does not show it empty:\n%s", status)
	}
	// Misuse: an image that nobody signed (the same image, pushed alone
	// to another repository) is refused in one line, nothing written.
	out, code := sh.runStatus("sudo ros os upgrade --insecure "+unsignedRepo+":"+v2+" 2>&1", 2*time.Minute)
	if code == "0" || !regexp.MustCompile(`(?m)^ros: \S+ \(sha256:\w+\) the image is not signed: .*--insecure-skip-signature\r?$`).MatchString(out) {
		t.Fatalf("ros os upgrade to an unsigned image: exit status %s:\n%s", code, out)
	}
	if status := sh.run("sudo ros os status", time.Minute); !regexp.MustCompile(`(?m)^b\s+(\S+\s+)?empty`).MatchString(status) {
		t.Fatalf("after a refused unsigned upgrade, ros os status does not show slot b empty:\n%s", status)
	}

	// A dry run says what the upgrade would download, and writes nothing.
	out = sh.run("sudo ros os upgrade --dry-run --insecure "+guestRepo+":"+v2+" 2>&1", 2*time.Minute)
	dry := transferRE.FindStringSubmatch(out)
	if dry == nil || !strings.Contains(out, "ros "+v2+" would go to slot b: would download") {
		t.Fatalf("ros os upgrade --dry-run said:\n%s", out)
	}
	if status := sh.run("sudo ros os status", time.Minute); !regexp.MustCompile(`(?m)^b\s+(\S+\s+)?empty`).MatchString(status) {
		t.Fatalf("after ros os upgrade --dry-run, ros os status does not show slot b empty:\n%s", status)
	}

	// 1. v1 -> v2, signed by the key v1 trusts: the new slot comes up
	// healthy and is kept. v2 differs from v1 by one package and by its
	// version (specCopy): the chunks of the rest come from slot a, and the
	// kernel from slot a's ESP directory, not the registry.
	served := blobBytes(t, reg, "ros/os")
	out = sh.run(upgrade, 5*time.Minute)
	served = blobBytes(t, reg, "ros/os") - served
	if !strings.Contains(out, "ros "+v2+" is in slot b and boots next") || !strings.Contains(out, "ros os upgrade: signed by /etc/ros/trust/") {
		t.Fatalf("ros os upgrade said:\n%s", out)
	}
	if m := transferRE.FindStringSubmatch(out); m == nil || m[1] != dry[1] {
		t.Errorf("ros os upgrade does not say it downloaded what the dry run said (%s %%):\n%s", dry[1], out)
	} else if pct, _ := strconv.ParseFloat(m[1], 64); pct > 10 {
		t.Errorf("ros os upgrade downloaded %s %% of the image, want at most 10 %%:\n%s", m[1], out)
	} else {
		t.Logf("v1 -> v2: %s", m[0])
	}
	// The same measured at the registry (its access log), against the
	// whole image: every blob of the upgrade's repository it served.
	if full := imageSize(t, sharedVersion(t, v2), v2); served > full/10 {
		t.Errorf("the registry served %d bytes of blobs for the upgrade, %.1f %% of the %d-byte image, want at most 10 %%", served, 100*float64(served)/float64(full), full)
	} else {
		t.Logf("v1 -> v2 at the registry: %d bytes of blobs served, %.1f %% of the %d-byte image", served, 100*float64(served)/float64(full), full)
	}
	// Without sudo, rancher sees the status the upgrade published.
	readOnlyAsUser(t, sh, v1, `(?m)^a\s+`+regexp.QuoteMeta(v1)+`\s+active`, `(?m)^b\s+`+regexp.QuoteMeta(v2)+`\s+pending`,
		`(?m)^pending: ros `+regexp.QuoteMeta(v2)+` in slot b, on trial`,
		`(?m)^a\s.*\s[0-9a-f]{64}\r?$`, `(?m)^b\s.*\s[0-9a-f]{64}\r?$`) // each slot's dm-verity root hash
	if out := sh.run("ros os list --insecure", time.Minute); !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(v2) + `\s+\(in slot b, signed\)`).MatchString(out) {
		t.Errorf("ros os list as rancher does not show %s in slot b, signed:\n%s", v2, out)
	}
	if out := sh.run("ros os list --insecure "+unsignedRepo, time.Minute); !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(v2) + `\s+\(in slot b, unsigned\)`).MatchString(out) {
		t.Errorf("ros os list as rancher does not show the unsigned %s as unsigned:\n%s", v2, out)
	}
	if out, code := sh.runStatus("ros os rollback 2>&1", time.Minute); code == "0" || !strings.Contains(out, "run it with sudo") {
		t.Fatalf("ros os rollback as rancher: exit status %s:\n%s", code, out)
	}
	// Misuse: rolling back to the slot just written, which never passed a
	// health gate, would give up the good slot for it: refused, nothing changed.
	if out, code := sh.runStatus("sudo ros os rollback 2>&1", time.Minute); code == "0" || !strings.Contains(out, "has not passed a health gate yet") ||
		strings.Count(strings.TrimSpace(out), "\n") > 0 {
		t.Fatalf("sudo ros os rollback to the pending slot: exit status %s:\n%s", code, out)
	}
	readOnlyAsUser(t, sh, v1, `(?m)^a\s+`+regexp.QuoteMeta(v1)+`\s+active`, `(?m)^b\s+`+regexp.QuoteMeta(v2)+`\s+pending`)
	// Power cut 3: after the upgrade, before any reboot: the new slot boots.
	// Power cut 4: during that first boot of slot b, before its health
	// gate: slot b is tried again, comes up and is kept.
	// Power cut 5: two seconds after boot assessment kept slot b, long
	// before the kernel writes back what it was not told to sync: the
	// entry on the disk is good (no counter) and slot b boots again.
	powerCut(t, vm, disk, "after ros os upgrade, before a reboot")
	cutAt(t, vm, disk, "", regexp.MustCompile(`(?s)root slot PARTLABEL=ros-root-b .*?milestone system-docker`), 0, "during the first boot of slot b")
	cutAt(t, vm, disk, "", regexp.MustCompile(`ros \S+ is up on slot b`), 2*time.Second, "just after slot b was kept", func() {
		if got := espEntries(t, disk); !slices.Contains(got, "ros-b.conf") {
			t.Fatalf("a power cut 2 s after slot b was kept: the ESP holds %v, want ros-b.conf (good, no counter)", got)
		}
	})
	sh, _ = upAfterCut(t, vm, "just after slot b was kept", "b")
	// Boot assessment published the kept slot.
	readOnlyAsUser(t, sh, v2, `(?m)^b\s+`+regexp.QuoteMeta(v2)+`\s+active, good`)
	if got := strings.TrimSpace(sh.run("ros os version", time.Minute)); got != v2 {
		t.Fatalf("after the upgrade, ros os version = %q, want %s", got, v2)
	}
	if out := sh.run("tree --version 2>&1", time.Minute); !strings.Contains(out, "tree v2.") {
		t.Errorf("slot b lacks the package v2 added: tree --version said:\n%s", out)
	}
	status := sh.run("sudo ros os status", time.Minute)
	if !regexp.MustCompile(`(?m)^b\s+` + regexp.QuoteMeta(v2) + `\s+active, good`).MatchString(status) {
		t.Fatalf("slot b is not active and good after its first healthy boot:\n%s", status)
	}
	if got := strings.TrimSpace(sh.run("docker run --rm -v data:/data busybox cat /data/f", 2*time.Minute)); got != "kept" {
		t.Fatalf("the User Docker volume lost its data in the upgrade: %q", got)
	}

	// 3. ros os rollback goes back to v1, even if the power fails as soon
	// as it has returned (power cut 6): slot b's entry is marked bad on
	// the disk, and slot a boots.
	sh.run("sudo ros os rollback", time.Minute)
	powerCut(t, vm, disk, "just after ros os rollback", func() {
		got := espEntries(t, disk)
		if !slices.ContainsFunc(got, regexp.MustCompile(`^ros-b\+0(-\d+)?\.conf$`).MatchString) || !slices.Contains(got, "ros-a.conf") {
			t.Fatalf("a power cut just after ros os rollback: the ESP holds %v, want ros-a.conf and ros-b+0-N.conf (bad)", got)
		}
	})
	waitUp(t, vm, "a")
	sh = waitLogin(t, vm, time.Minute)
	if got := strings.TrimSpace(sh.run("ros os version", time.Minute)); got != v1 {
		t.Fatalf("after ros os rollback, ros os version = %q, want %s", got, v1)
	}

	// 2. A new slot with one byte of its squashfs flipped on the disk while
	// the machine is off: dm-verity turns the block into an I/O error,
	// the slot cannot mount its root, and after its three tries the
	// machine is back on slot a by itself. (Other rollback causes: make
	// fault's TestRollbackMatrix.)
	out = sh.run("sudo ros os upgrade --insecure "+guestRepo+" 2>&1", 5*time.Minute) // no tag: the newest
	if !strings.Contains(out, "ros "+v2+" is in slot b") {
		t.Fatalf("ros os upgrade to the newest said:\n%s", out)
	}
	mark := vm.Console.Len()
	powerCut(t, vm, disk, "to flip a byte of slot b", func() { flipByte(t, disk, partitions.RootLabel("b"), 100) })
	waitUp(t, vm, "a")
	after := vm.Console.After(mark)
	if boots := strings.Count(after, "BdsDxe: starting"); boots > 4 {
		t.Errorf("back on slot a after %d boots, want at most 4 (three tries of b, then a)", boots)
	}
	if !regexp.MustCompile(`verity.*(data block 0 is corrupted|corrupt)`).MatchString(after) || !strings.Contains(after, "BOOT FAILED in the initramfs") {
		t.Errorf("the console does not show dm-verity refusing slot b's flipped block and the initramfs giving up:\n%s", after[max(0, len(after)-3000):])
	}
	sh = waitLogin(t, vm, time.Minute)
	status = sh.run("sudo ros os status", time.Minute)
	if !strings.Contains(status, "rolled back: ros "+v2+" (slot b) to ros "+v1+" (slot a)") || !strings.Contains(status, "never passed its health gate") {
		t.Fatalf("ros os status does not report the rollback of %s and why:\n%s", v2, status)
	}
	if got := strings.TrimSpace(sh.run("docker run --rm -v data:/data busybox cat /data/f", 2*time.Minute)); got != "kept" {
		t.Fatalf("the User Docker volume lost its data: %q", got)
	}
	if got := strings.TrimSpace(sh.run("cat ~/mine.txt /opt/mine.txt", time.Minute)); got != "mine\nmine" {
		t.Fatalf("files in /home and /opt did not survive the upgrades and rollbacks: %q", got)
	}
}

// flipByte flips the lowest bit of the byte at off in the partition
// labelled label of the (powered-off) disk image.
func flipByte(t *testing.T, disk, label string, off int64) {
	t.Helper()
	p := partitionOf(t, disk, label)
	f, err := os.OpenFile(disk, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, p.Offset()+off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x01
	if _, err := f.WriteAt(b, p.Offset()+off); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// Ways to break a new slot's boot entry (sed scripts for its options line).
const (
	noInit = `/^options/s/$/ rdinit=\/nonexistent init=\/nonexistent/` // the kernel panics: no init to run
	noRoot = `/^options/s/ros-root-b/ros-root-x/`                      // the initramfs finds no root
)

// breakEntry edits slot s's trial entry (it has 3 tries) on the ESP with the sed script edit.
func breakEntry(t *testing.T, sh *shell, s, edit string) {
	t.Helper()
	entry := "/tmp/esp/loader/entries/ros-" + s + "+3-0.conf"
	sh.run(`sudo sh -c "mkdir -p /tmp/esp && mount -t vfat /dev/vda1 /tmp/esp && sed -i '`+edit+`' `+entry+` && `+
		`grep ^options `+entry+`; r=\$?; umount /tmp/esp; exit \$r"`, time.Minute)
}

// readOnlyAsUser runs the read-only commands as rancher, without sudo:
// ros os status must match every one of status (it reads the status
// published at boot and after each change), ros os version must print
// version and ros service list the running services.
func readOnlyAsUser(t *testing.T, sh *shell, version string, status ...string) {
	t.Helper()
	out := sh.run("ros os status", time.Minute)
	for _, re := range status {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("ros os status as rancher does not match %s:\n%s", re, out)
		}
	}
	if got := strings.TrimSpace(sh.run("ros os version", time.Minute)); got != version {
		t.Errorf("ros os version as rancher = %q, want %s", got, version)
	}
	if out := sh.run("ros service list", time.Minute); !regexp.MustCompile(`(?m)^network\s+running`).MatchString(out) {
		t.Errorf("ros service list as rancher:\n%s", out)
	}
}

// reboot reboots the guest from its console and waits for it to be up on slot.
func reboot(t *testing.T, vm *qemu.VM, sh *shell, slot string) *shell {
	t.Helper()
	if err := vm.Send("sudo ros reboot\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`reboot: Restarting system`), 2*time.Minute); err != nil {
		t.Fatalf("ros reboot did not reboot: %v", err)
	}
	waitUp(t, vm, slot)
	return waitLogin(t, vm, time.Minute)
}
