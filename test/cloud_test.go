//go:build e2e

package test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ros-os/ros/internal/qemu"
)

// The cloud image as make cloud-images makes it (an installed 4 GiB disk,
// as qcow2), on a 10 GiB disk as a cloud VM gets it, on a machine whose DMI
// says Amazon EC2, with an EC2-style metadata service (IMDSv2 tokens
// required) at 169.254.169.254 through QEMU's guestfwd: its user-data sets
// the hostname and its public-keys let rancher in. It boots healthy on slot
// a and STATE fills the disk.
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
	imds := &metadataService{userData: "#cloud-config\nhostname: cloudy\n", key: pub}
	srv := httptest.NewServer(imds)
	defer srv.Close()
	vm := boot(t, qemu.Config{Disks: []string{disk}, OVMF: true, Net: true, Forward: []string{ssh.forward()},
		// slirp forwards only addresses inside its network: make it 169.254.169.0/24.
		NetOptions: []string{"net=169.254.169.0/24", "guestfwd=tcp:169.254.169.254:80-cmd:socat - TCP:" + srv.Listener.Addr().String()},
		Extra:      []string{"-smbios", "type=1,manufacturer=Amazon EC2,product=t3.micro"}})
	waitUp(t, vm, "a")
	if got := imds.served(); !strings.Contains(got, "PUT /latest/api/token 200") ||
		!strings.Contains(got, "GET /latest/meta-data/public-keys/0/openssh-key 200") || !strings.Contains(got, "GET /latest/user-data 200") {
		t.Errorf("the metadata service served:\n%s\nwant a token, then the key and the user-data with it", got)
	}
	if !strings.Contains(vm.Console.String(), "asking the metadata service (EC2)") {
		t.Errorf("the console does not say the metadata service was asked")
	}
	for _, want := range []string{"STATE grown to the end of /dev/vda", "growing STATE's filesystem on /dev/vda4"} {
		if !strings.Contains(vm.Console.String(), want) {
			t.Errorf("the console does not say %q", want)
		}
	}
	ssh.wait("accept-new")
	if got := strings.TrimSpace(ssh.run("hostname")); got != "cloudy" {
		t.Errorf("hostname %q, want the user-data's cloudy", got)
	}
	// The boot's timeline, as any user reads it.
	if out := ssh.run("ros boot-log"); !regexp.MustCompile(`(?m)^\s*[0-9.]+\s+starting System Docker\s+[0-9.]+ s\s+#+`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^\s*[0-9.]+\s+milestone healthy`).MatchString(out) {
		t.Errorf("ros boot-log said:\n%s", out)
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

// metadataService is an EC2-style instance metadata service that requires
// IMDSv2 tokens, as EC2 does with HttpTokens=required.
type metadataService struct {
	userData, key string
	mu            sync.Mutex
	log           []string
}

const metadataToken = "e2e-token"

func (m *metadataService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code, body := m.answer(r)
	m.mu.Lock()
	m.log = append(m.log, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, code))
	m.mu.Unlock()
	w.WriteHeader(code)
	fmt.Fprint(w, body)
}

func (m *metadataService) answer(r *http.Request) (int, string) {
	if r.URL.Path == "/latest/api/token" {
		if r.Method != http.MethodPut || r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
			return http.StatusBadRequest, ""
		}
		return http.StatusOK, metadataToken
	}
	if r.Header.Get("X-aws-ec2-metadata-token") != metadataToken {
		return http.StatusUnauthorized, ""
	}
	switch r.URL.Path {
	case "/latest/user-data":
		return http.StatusOK, m.userData
	case "/latest/meta-data/public-keys/":
		return http.StatusOK, "0=e2e"
	case "/latest/meta-data/public-keys/0/openssh-key":
		return http.StatusOK, m.key + "\n"
	}
	return http.StatusNotFound, ""
}

// served is the requests answered, one a line: method, path, status.
func (m *metadataService) served() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.log, "\n")
}
