//go:build e2e

package test

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
)

// BenchmarkBoot boots the installed disk three times (OVMF, TCG, -smp 2
// -m 2048; the first boot of a version also loads the service images) and
// powers it off with ros poweroff each time. It reports the median guest uptime of every milestone init
// prints, of the first user container finishing (typed on the autologin
// console as soon as it appears), and the memory in use once idle (10 s
// after the first container).
//
// The same is measured, alternately in the same run, on a second disk
// whose boot entry lacks ros.verity= (the slot mounted directly, not
// through dm-verity): the metrics ending in -noverity. Both report the
// cold read of dockerd, containerd and docker (page cache dropped).
func BenchmarkBoot(b *testing.B) {
	disk := installDisk(b, "--append", "ros.autologin")
	plain := installDisk(b, "--append", "ros.autologin")
	dropVerity(b, plain)
	samples := map[string][]float64{}
	for i := 0; i < 3; i++ {
		for k, v := range bootOnce(b, disk) {
			samples[k] = append(samples[k], v)
		}
		for k, v := range bootOnce(b, plain) {
			samples[k+"-noverity"] = append(samples[k+"-noverity"], v)
		}
	}
	for k, v := range samples {
		b.ReportMetric(median(v), k)
	}
}

// dropVerity removes ros.verity= from slot a's boot entry on disk's ESP
// (with mtools, the machine off).
func dropVerity(b *testing.B, disk string) {
	editEntry(b, disk, "a", func(conf []byte) []byte { return verityArg.ReplaceAll(conf, nil) })
}

// memUsedCmd prints "memused N": MB in use (MemTotal − MemAvailable).
const memUsedCmd = `awk '/MemTotal/{t=$2} /MemAvailable/{a=$2} END{print "memused", int((t-a)/1024)}' /proc/meminfo`

var milestoneRE = regexp.MustCompile(`ros-init: milestone (\S+) at ([0-9.]+) s`)

func bootOnce(b *testing.B, disk string) map[string]float64 {
	vm := boot(b, qemu.Config{Disks: []string{disk}, OVMF: true, Net: true})
	defer vm.Kill()
	if _, err := vm.Console.Expect(regexp.MustCompile(`rancher@ros:~\$ `), 5*time.Minute); err != nil {
		b.Fatalf("no login: %v", err)
	}
	// Retried until User Docker answers: the first container done, as a user
	// typing at the first prompt would see it.
	if err := vm.Send("until docker run --rm busybox true 2>/dev/null; do sleep 0.2; done; echo \"first-container $(cut -d' ' -f1 /proc/uptime)\"\n"); err != nil {
		b.Fatal(err)
	}
	m, err := vm.Console.Expect(regexp.MustCompile(`first-container ([0-9.]+)\r?\n`), 3*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]float64{}
	out["s/first-user-container"], _ = strconv.ParseFloat(m[1], 64)
	time.Sleep(10 * time.Second)
	if err := vm.Send(memUsedCmd + "\n"); err != nil {
		b.Fatal(err)
	}
	if m, err = vm.Console.Expect(regexp.MustCompile(`\nmemused ([0-9]+)\r?\n`), time.Minute); err != nil {
		b.Fatal(err)
	}
	out["MB/idle-used"], _ = strconv.ParseFloat(m[1], 64)
	// A cold read of the daemons' binaries, through dm-verity or not.
	if err := vm.Send("sudo sh -c 'sync; echo 3 > /proc/sys/vm/drop_caches'; s=$(cut -d' ' -f1 /proc/uptime); cat /usr/bin/dockerd /usr/bin/containerd /usr/bin/docker >/dev/null; " +
		"awk -v s=$s '{print \"coldread\", $1 - s}' /proc/uptime\n"); err != nil {
		b.Fatal(err)
	}
	if m, err = vm.Console.Expect(regexp.MustCompile(`\ncoldread ([0-9.]+)\r?\n`), time.Minute); err != nil {
		b.Fatal(err)
	}
	out["s/cold-read-docker-binaries"], _ = strconv.ParseFloat(m[1], 64)
	// An orderly power-off, as a user's reboot: a killed VM leaves its
	// containers running in System Docker's record and an unclean STATE.
	if err := vm.Send("sudo ros poweroff\n"); err != nil {
		b.Fatal(err)
	}
	if err := vm.Wait(3 * time.Minute); err != nil {
		b.Fatalf("ros poweroff: %v", err)
	}
	for _, mm := range milestoneRE.FindAllStringSubmatch(vm.Console.String(), -1) {
		v, _ := strconv.ParseFloat(mm[2], 64)
		out["s/"+strings.ReplaceAll(mm[1], "_", "-")] = v
	}
	return out
}

func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}
