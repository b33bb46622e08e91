//go:build e2e

package test

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
)

var usageRE = regexp.MustCompile(`phases: resolve ([0-9.]+)s, write ([0-9.]+)s, verify ([0-9.]+)s, flip ([0-9.]+)s; peak memory: ros (\d+) MB(?:, xz (\d+) MB)?`)

// BenchmarkUpgrade upgrades an installed guest from a registry on the host
// (QEMU user networking, TCG) and reports the phases, the slot write
// throughput next to dd rewriting the same bytes to the same partition in
// the same guest, and the peak memory of ros os upgrade and of its xz.
func BenchmarkUpgrade(b *testing.B) {
	v2 := "0.2.0"
	release := filepath.Join(repo, "images/os.yaml") // the release xz preset: what is measured
	guestRepo := serveVersions(b, map[string]string{v2: buildVersion(b, v2, release)})
	disk := installDisk(b, "--append", "ros.autologin")
	vm := boot(b, qemu.Config{Disks: []string{disk}, OVMF: true, Net: true, Reboot: true})
	if _, err := vm.Console.Expect(regexp.MustCompile(`is up on slot a`), 5*time.Minute); err != nil {
		b.Fatal(err)
	}
	cmd := "sudo ros os upgrade --insecure " + guestRepo + ":" + v2 + " 2>&1 | grep phases; " +
		"s=$(cut -d' ' -f1 /proc/uptime); sudo dd if=/dev/vda3 of=/dev/vda3 bs=1M count=212 conv=fsync,notrunc 2>/dev/null; " +
		"e=$(cut -d' ' -f1 /proc/uptime); echo \"dd-seconds $s $e\"\n"
	if err := vm.Send("\n" + cmd); err != nil {
		b.Fatal(err)
	}
	m, err := vm.Console.Expect(usageRE, 10*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	d, err := vm.Console.Expect(regexp.MustCompile(`dd-seconds ([0-9.]+) ([0-9.]+)`), 5*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	for i, name := range []string{"s/resolve", "s/write", "s/verify", "s/flip"} {
		b.ReportMetric(f(m[i+1]), name)
	}
	b.ReportMetric(f(m[5]), "MB/peak-ros")
	if m[6] != "" { // an image of the xz format
		b.ReportMetric(f(m[6]), "MB/peak-xz")
	}
	slotMB := 212.0 // the uncompressed squashfs, about
	ours, dd := slotMB/f(m[2]), slotMB/(f(d[2])-f(d[1]))
	b.ReportMetric(ours, "MB/s-write")
	b.ReportMetric(dd, "MB/s-dd")
	b.ReportMetric(ours/dd, "x-dd")

	// The windows of a power cut: until the commit point (the new entry,
	// written at the end of the flip) it boots the old slot; from there
	// until the new slot passed its gate and was kept, the new slot (on
	// trial). The second is measured on the host's clock, reboot included.
	b.ReportMetric(f(m[1])+f(m[2])+f(m[3])+f(m[4]), "s/to-commit")
	start := time.Now()
	if err := vm.Send("sudo ros reboot\n"); err != nil {
		b.Fatal(err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`is up on slot b`), 10*time.Minute); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "s/commit-to-kept")
}
