//go:build e2e

package test

import (
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
)

// BenchmarkLiveISO: the live medium's size, the time from powering on a
// machine with it in its CD drive (OVMF, TCG) to the live system's health
// gate and to a console login (host clock), and how long
// `sudo ros install -d /dev/vda` takes from there (the guest's clock).
func BenchmarkLiveISO(b *testing.B) {
	iso := liveISO(b)
	fi, err := os.Stat(iso)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/1e6, "MB/iso")
	disk := emptyDisk(b)
	start := time.Now()
	vm := boot(b, qemu.Config{CDROM: iso, Disks: []string{disk}, OVMF: true})
	if _, err := vm.Console.Expect(regexp.MustCompile(`ros-init: ros \S+ is up live`), 10*time.Minute); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "s/power-on-to-healthy")
	if err := vm.Send("\n"); err != nil {
		b.Fatal(err)
	}
	if _, err := vm.Console.Expect(regexp.MustCompile(`rancher@[\w.-]+:~\$ `), 2*time.Minute); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "s/power-on-to-login")
	cmd := "s=$(cut -d' ' -f1 /proc/uptime); sudo ros install -d /dev/vda >/dev/null 2>&1; echo \"install-seconds $? $s $(cut -d' ' -f1 /proc/uptime)\"\n"
	if err := vm.Send(cmd); err != nil {
		b.Fatal(err)
	}
	m, err := vm.Console.Expect(regexp.MustCompile(`install-seconds (\d+) ([0-9.]+) ([0-9.]+)\r?\n`), 15*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	if m[1] != "0" {
		b.Fatalf("sudo ros install -d /dev/vda exited %s", m[1])
	}
	s, _ := strconv.ParseFloat(m[2], 64)
	e, _ := strconv.ParseFloat(m[3], 64)
	b.ReportMetric(e-s, "s/ros-install-from-live")
}
