//go:build e2e

package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
)

// BenchmarkBootPeer boots ros (the installed disk, OVMF + systemd-boot) and
// the peer of issue 16 — a stock Debian 13 with systemd and docker.io,
// installed with debootstrap by hack/peer.sh (make peer), booted the
// ordinary way: kernel, Debian's initramfs, ext4 root, virtio disk and NIC
// — alternately, three times each, the same way (TCG, -smp 2 -m 2048). At
// the first prompt of each (ros's autologin console, the peer's root
// autologin on ttyS0) the same line is typed: wait until `docker info`
// answers, then until `docker run --rm busybox true` has run, each
// followed by the guest's uptime; the memory in use (MemTotal −
// MemAvailable) 10 s later. It reports the medians of both and ros's
// ratios to the peer (x-…: lower is better).
func BenchmarkBootPeer(b *testing.B) {
	peerDir := filepath.Join(repo, "build/peer")
	for _, f := range []string{"vmlinuz", "initrd.img", "root.img"} {
		if _, err := os.Stat(filepath.Join(peerDir, f)); err != nil {
			b.Fatalf("the peer is not built (make peer): %v", err)
		}
	}
	peerDisk := filepath.Join(b.TempDir(), "peer.img")
	if out, err := exec.Command("cp", "--sparse=always", filepath.Join(peerDir, "root.img"), peerDisk).CombinedOutput(); err != nil {
		b.Fatalf("copying the peer's disk: %v: %s", err, out)
	}
	rosDisk := installDisk(b, "--append", "ros.autologin")
	machines := []struct {
		name   string
		cfg    qemu.Config
		prompt string
		off    string
	}{
		{"ros", qemu.Config{Disks: []string{rosDisk}, OVMF: true, Net: true}, `rancher@ros:~\$ `, "sudo ros poweroff"},
		{"peer", qemu.Config{Disks: []string{peerDisk}, Net: true, Kernel: filepath.Join(peerDir, "vmlinuz"),
			Initrd: filepath.Join(peerDir, "initrd.img"), Append: "root=/dev/vda ro quiet console=ttyS0"}, `root@peer:~# `, "systemctl poweroff"},
	}
	samples := map[string][]float64{}
	for i := 0; i < 3; i++ {
		for _, m := range machines {
			for k, v := range bootTyped(b, m.cfg, m.prompt, m.off) {
				samples[k+"-"+m.name] = append(samples[k+"-"+m.name], v)
			}
		}
	}
	for k, v := range samples {
		b.ReportMetric(median(v), k)
	}
	for _, k := range []string{"s/docker-api", "s/first-user-container", "MB/idle-used"} {
		_, what, _ := strings.Cut(k, "/")
		b.ReportMetric(median(samples[k+"-ros"])/median(samples[k+"-peer"]), "x-"+what+"-ros-vs-peer")
	}
}

// bootTyped boots c, types the benchmark's line at the first prompt and
// powers the machine off with off.
func bootTyped(b *testing.B, c qemu.Config, prompt, off string) map[string]float64 {
	vm := boot(b, c)
	defer vm.Kill()
	if _, err := vm.Console.Expect(regexp.MustCompile(prompt), 5*time.Minute); err != nil {
		b.Fatalf("no login: %v", err)
	}
	line := `until docker info >/dev/null 2>&1; do sleep 0.2; done; echo "docker-api $(cut -d' ' -f1 /proc/uptime)"; ` +
		`until docker run --rm busybox true 2>/dev/null; do sleep 0.2; done; echo "first-container $(cut -d' ' -f1 /proc/uptime)"; ` +
		"sleep 10; " + memUsedCmd + "\n"
	if err := vm.Send(line); err != nil {
		b.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range []struct{ re, key string }{
		// Each match takes the console up to its line's end: no leading
		// newline is left for the next (the typed line never has a digit
		// after these words).
		{`docker-api ([0-9.]+)\r?\n`, "s/docker-api"},
		{`first-container ([0-9.]+)\r?\n`, "s/first-user-container"},
		{`memused ([0-9]+)\r?\n`, "MB/idle-used"},
	} {
		m, err := vm.Console.Expect(regexp.MustCompile(f.re), 4*time.Minute)
		if err != nil {
			b.Fatalf("%s: %v", f.key, err)
		}
		out[f.key], _ = strconv.ParseFloat(m[1], 64)
	}
	if err := vm.Send(off + "\n"); err != nil {
		b.Fatal(err)
	}
	if err := vm.Wait(3 * time.Minute); err != nil {
		b.Fatalf("%s: %v", off, err)
	}
	return out
}
