//go:build e2e

package test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ros-os/ros/internal/qemu"
)

// The cloud image as make cloud-images makes it (an installed 4 GiB disk,
// as qcow2), on a 10 GiB disk as a cloud VM gets it, with a NoCloud drive
// whose user-data has a hostname and an ssh key: it boots healthy on slot
// a, STATE fills the disk, and the key lets rancher in.
func TestCloudImage(t *testing.T) {
	dir := t.TempDir()
	raw, qcow, disk := filepath.Join(dir, "ros.img"), filepath.Join(dir, "ros.qcow2"), filepath.Join(dir, "disk.qcow2")
	out := run(t, filepath.Join(repo, "build/ros"), "install", "--device", raw, "--size", "4G",
		"--image", "oci-layout:"+filepath.Join(repo, "build/oci")+":"+version(t), "--trust", filepath.Join(repo, testKey+".pub"))
	if !strings.Contains(out, "installed ros "+version(t)) {
		t.Fatalf("ros install said:\n%s", out)
	}
	run(t, "qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow)
	run(t, "qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", qcow, disk, "10G")

	ssh, pub := newSSHKey(t)
	cidata := cidataISO(t, "#cloud-config\nhostname: cloudy\nssh_authorized_keys:\n  - "+pub+"\n")
	vm := boot(t, qemu.Config{Disks: []string{disk, cidata}, OVMF: true, Net: true, Forward: []string{ssh.forward()}})
	waitUp(t, vm, "a")
	for _, want := range []string{"STATE grown to the end of /dev/vda", "growing STATE's filesystem on /dev/vda4"} {
		if !strings.Contains(vm.Console.String(), want) {
			t.Errorf("the console does not say %q", want)
		}
	}
	ssh.wait("accept-new")
	if got := strings.TrimSpace(ssh.run("hostname")); got != "cloudy" {
		t.Errorf("hostname %q, want the user-data's cloudy", got)
	}
	fields := strings.Fields(ssh.run("df -B1 ~ | tail -1"))
	if len(fields) < 2 {
		t.Fatalf("df said %v", fields)
	}
	size, _ := strconv.ParseInt(fields[1], 10, 64)
	if size < 6<<30 { // 10 GiB less the ESP and two 1 GiB slots, less ext4's own
		t.Errorf("STATE (the home directory's filesystem) is %d bytes on a 10 GiB disk, want it grown to the disk", size)
	} else {
		t.Logf("STATE: %.1f GB on a 10 GiB disk", float64(size)/1e9)
	}
}
