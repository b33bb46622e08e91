//go:build e2e

package test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/internal/qemu"
)

var usageRE = regexp.MustCompile(`phases: resolve ([0-9.]+)s, write ([0-9.]+)s, verify ([0-9.]+)s, flip ([0-9.]+)s; peak memory: ros (\d+) MB(?:, xz (\d+) MB)?`)

// BenchmarkUpgrade upgrades an installed guest from a registry on the host
// (QEMU user networking, TCG) twice to the same release-built image:
// first with slot a's chunk index moved aside, so every chunk is
// downloaded and decoded (the decoder's speed), then as an upgrade runs,
// taking what slot a holds (the delta; slot b's own index of the first
// run removed). For each it reports the phases,
// the slot write throughput next to dd rewriting the same bytes to the
// same partition in the same guest, the peak memory of ros os upgrade, and
// the bytes the registry served (its access log) against the image.
func BenchmarkUpgrade(b *testing.B) {
	v2 := "0.2.0"
	release := filepath.Join(repo, "images/os.yaml") // the release preset: what is measured
	layoutDir := buildVersion(b, v2, release)
	reg := startRegistry(b)
	guestRepo := pushVersions(b, reg, "ros/os", map[string]string{v2: layoutDir})
	img, err := artifact.Open("oci-layout:" + layoutDir + ":" + v2)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := artifact.Inspect(img)
	if err != nil {
		b.Fatal(err)
	}
	slotBytes := cfg.Parts.Rootfs.Uncompressed.Size
	full := imageSize(b, layoutDir, v2)
	b.ReportMetric(float64(full)/1e6, "MB/image")

	disk := installDisk(b, "--append", "ros.autologin")
	vm := boot(b, qemu.Config{Disks: []string{disk}, OVMF: true, Net: true, Reboot: true})
	if _, err := vm.Console.Expect(regexp.MustCompile(`is up on slot a`), 5*time.Minute); err != nil {
		b.Fatal(err)
	}
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	const index = "/var/lib/ros/os/chunks-a.json"
	var toCommit float64
	for _, run := range []struct{ name, before, after string }{
		{"full", "sudo mv " + index + " /tmp/chunks-a.json; ", "sudo mv /tmp/chunks-a.json " + index + "; "},
		{"delta", "sudo rm /var/lib/ros/os/chunks-b.json; ", ""}, // only what slot a holds
	} {
		served := blobBytes(b, reg, "ros/os")
		cmd := run.before + "sudo ros os upgrade --force --insecure " + guestRepo + ":" + v2 + " 2>&1 | grep -E 'phases|downloaded'; " + run.after +
			"s=$(cut -d' ' -f1 /proc/uptime); " +
			fmt.Sprintf("sudo dd if=/dev/vda3 of=/dev/vda3 bs=1M count=%d conv=fsync,notrunc 2>/dev/null; ", slotBytes>>20) +
			"e=$(cut -d' ' -f1 /proc/uptime); echo \"dd-seconds $s $e\"\n"
		if err := vm.Send("\n" + cmd); err != nil {
			b.Fatal(err)
		}
		m, err := vm.Console.Expect(usageRE, 15*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		// Up to the line's end: a match on a half-printed line read a
		// negative time once.
		d, err := vm.Console.Expect(regexp.MustCompile(`dd-seconds ([0-9.]+) ([0-9.]+)\r?\n`), 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		served = blobBytes(b, reg, "ros/os") - served
		for i, name := range []string{"resolve", "write", "verify", "flip"} {
			b.ReportMetric(f(m[i+1]), "s/"+name+"-"+run.name)
		}
		b.ReportMetric(f(m[5]), "MB/peak-ros-"+run.name)
		if m[6] != "" { // an image of the xz format
			b.ReportMetric(f(m[6]), "MB/peak-xz-"+run.name)
		}
		mb := float64(slotBytes) / 1e6
		ours, dd := mb/f(m[2]), float64(slotBytes>>20<<20)/1e6/(f(d[2])-f(d[1]))
		b.ReportMetric(ours, "MB/s-write-"+run.name)
		b.ReportMetric(dd, "MB/s-dd-"+run.name)
		b.ReportMetric(ours/dd, "x-dd-"+run.name)
		b.ReportMetric(float64(served)/1e6, "MB/served-"+run.name)
		b.ReportMetric(100*float64(served)/float64(full), "%/served-"+run.name)
		toCommit = f(m[1]) + f(m[2]) + f(m[3]) + f(m[4])
	}

	// The windows of a power cut: until the commit point (the new entry,
	// written at the end of the flip) it boots the old slot; from there
	// until the new slot passed its gate and was kept, the new slot (on
	// trial). The second is measured on the host's clock, reboot included.
	b.ReportMetric(toCommit, "s/to-commit")
	start := time.Now()
	if err := vm.Send("sudo ros reboot\n"); err != nil {
		b.Fatal(err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`is up on slot b`), 10*time.Minute); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "s/commit-to-kept")
}
