//go:build e2e

package test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
)

// sshClient runs commands in the guest over ssh through a forwarded port,
// with a key the cloud-config authorised, as a user on the host would.
type sshClient struct {
	t          *testing.T
	key, hosts string
	port       int
}

// newSSHKey makes a key pair and returns the client and the public key.
func newSSHKey(t *testing.T) (*sshClient, string) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e@host", "-f", key)
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return &sshClient{t: t, key: key, hosts: filepath.Join(dir, "known_hosts"), port: freePort(t)}, strings.TrimSpace(string(pub))
}

// port is the port of a host:port address.
func port(addr string) string { return addr[strings.LastIndex(addr, ":")+1:] }

// freePort is a TCP port of the host's loopback that nothing listens on.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// freeUDPPort is the same for UDP.
func freeUDPPort(t *testing.T) int {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func (c *sshClient) forward() string { return fmt.Sprintf("tcp:127.0.0.1:%d-:22", c.port) }

// try runs cmd once; hostKey is accept-new (first contact) or yes (the
// host key must be the one seen before).
func (c *sshClient) try(cmd, hostKey string, opts ...string) (string, error) {
	args := append([]string{"-i", c.key, "-p", fmt.Sprint(c.port), "-o", "BatchMode=yes",
		"-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=20", "-o", "UserKnownHostsFile=" + c.hosts,
		"-o", "StrictHostKeyChecking=" + hostKey, "-o", "LogLevel=ERROR"}, opts...)
	out, err := exec.Command("ssh", append(args, "rancher@127.0.0.1", cmd)...).CombinedOutput()
	return string(out), err
}

// wait retries until sshd lets the key in.
func (c *sshClient) wait(hostKey string) {
	c.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := c.try("true", hostKey)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("ssh into the guest: %v: %s", err, out)
		}
		time.Sleep(3 * time.Second)
	}
}

// run runs cmd, which must succeed, and returns its output.
func (c *sshClient) run(cmd string) string {
	c.t.Helper()
	out, err := c.try(cmd, "yes")
	if err != nil {
		c.t.Fatalf("ssh %s: %v: %s", cmd, err, out)
	}
	return strings.TrimSpace(out)
}

// urlCloudConfig is served over HTTP to ros.cloud_config=URL, merged last.
const urlCloudConfig = "#cloud-config\nros:\n  services_include:\n    cron: true\n"

const testCloudConfig = `#cloud-config
hostname: ros-e2e
ssh_authorized_keys:
  - %s
write_files:
  - path: /etc/docker/certs.d/%s/ca.crt
    content: |
%s
  - path: /opt/e2e/hello.txt
    content: "hello from cloud-config\n"
    permissions: "0640"
    owner: rancher
bootcmd:
  - [sh, -c, "mkdir -p /opt/e2e && hostname > /opt/e2e/bootcmd.txt"]
runcmd:
  - echo runcmd ran > /opt/e2e/runcmd.txt
ros:
  sysctl:
    vm.swappiness: "13"
  network:
    dns:
      nameservers: [10.0.2.3, 192.0.2.53]
  upgrade:
    repository: %s
    replace_trust: true
    trust:
      - |
%s
  registry_auths:
    %s: {username: fleet, password: s3cret}
  environment:
    - HTTPS_PROXY=http://10.0.2.2:%s
    - NO_PROXY=localhost,127.0.0.1
  services:
    hello:
      image: ros/console:${ROS_VERSION}
      command: [sh, -c, "echo hello service; while :; do sleep 3600; done"]
`

// The cloud-config given to ros install, with one more document from a URL
// on the kernel command line, shapes the machine; a user gets in with ssh
// and the configured key; ros os upgrade finds the configured repository;
// and all of it (with the ssh host key and a User Docker volume) survives
// the upgrade to a new version.
func TestCloudConfig(t *testing.T) {
	ssh, pub := newSSHKey(t)
	const v2 = "0.2.0"
	// The fleet's private registry (TLS with its own CA, a password)
	// holds v2 signed by cosign alone, with a key only the cloud-config
	// trusts (it replaces the image's test key). The test fills it over
	// plain HTTP; the guest reaches the same storage only through TLS.
	reg := startRegistry(t)
	pushUnsigned(t, reg, "fleet/os", sharedVersion(t, v2), v2)
	cosign := newCosign(t)
	cosign.sign(digestRef(t, reg.Addr+"/fleet/os:"+v2))
	sec, err := reg.Secure("fleet", "s3cret", net.ParseIP("10.0.2.2"), net.ParseIP("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sec.Stop)
	private := "10.0.2.2:" + port(sec.Addr)
	proxy := startProxy(t) // the fleet's way out: every HTTPS request of the machine goes through it
	guestRepo := private + "/fleet/os"
	key, err := os.ReadFile(cosign.pub())
	if err != nil {
		t.Fatal(err)
	}
	indent := func(pem string, n int) string {
		pad := strings.Repeat(" ", n)
		return pad + strings.ReplaceAll(strings.TrimSpace(pem), "\n", "\n"+pad)
	}
	cc := filepath.Join(t.TempDir(), "cloud-config.yml")
	doc := fmt.Sprintf(testCloudConfig, pub, private, indent(string(sec.CA), 6), guestRepo, indent(string(key), 8), private, port(proxy.addr))
	if err := os.WriteFile(cc, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, urlCloudConfig)
	}))
	defer web.Close()
	url := "http://10.0.2.2:" + port(web.Listener.Addr().String()) + "/cloud-config.yml"

	disk := installDisk(t, "--append", "ros.autologin ros.cloud_config="+url, "--cloud-config", cc)
	vm := boot(t, qemu.Config{Disks: []string{disk}, OVMF: true, Net: true, Reboot: true, Forward: []string{ssh.forward()}})
	waitUp(t, vm, "a")
	ssh.wait("accept-new")
	if out, err := ssh.try("true", "yes", "-o", "PubkeyAuthentication=no"); err == nil || !strings.Contains(out, "Permission denied (publickey)") {
		t.Errorf("sshd lets in without a key, or offers more than keys: %v: %s", err, out)
	}
	checkConfigured(t, ssh)
	checkServiceCommands(t, ssh)
	ssh.run("docker run --rm -v data:/data busybox sh -c 'echo kept > /data/f'")
	ssh.run("echo mine > ~/mine.txt && sudo sh -c 'echo mine > /opt/mine.txt'")

	checkPrivateRegistry(t, ssh, proxy, private)
	if out := waitLogin(t, vm, time.Minute).run("echo proxy=$HTTPS_PROXY", time.Minute); !strings.Contains(out, "proxy=http://10.0.2.2:"+port(proxy.addr)) {
		t.Errorf("the console's login shell lacks ros.environment's HTTPS_PROXY:\n%s", out)
	}

	out := ssh.run("sudo ros os upgrade 2>&1") // ros.upgrade.repository, newest tag, over TLS with the password
	if !strings.Contains(out, "ros "+v2+" is in slot b and boots next") || !strings.Contains(out, "signed by ros.upgrade.trust[0]") {
		t.Fatalf("ros os upgrade said:\n%s", out)
	}
	sh := waitLogin(t, vm, time.Minute)
	reboot(t, vm, sh, "b")
	ssh.wait("yes") // the host key is the one of before the upgrade
	if got := ssh.run("ros os version"); got != v2 {
		t.Fatalf("after the upgrade, ros os version = %q, want %s", got, v2)
	}
	checkConfigured(t, ssh)
	if got := ssh.run("docker run --rm -v data:/data busybox cat /data/f"); got != "kept" {
		t.Fatalf("the User Docker volume lost its data in the upgrade: %q", got)
	}
	if got := ssh.run("cat ~/mine.txt /opt/mine.txt"); got != "mine\nmine" {
		t.Fatalf("files in /home and /opt did not survive the upgrade: %q", got)
	}
}

// checkPrivateRegistry checks that ros and both Docker daemons reach the
// private registry at host with the CA and the password the cloud-config
// gave, through the proxy of its ros.environment, and that without the CA
// or the password ros says in one line what is missing.
func checkPrivateRegistry(t *testing.T, ssh *sshClient, proxy *connectProxy, host string) {
	t.Helper()
	through := func(who string, f func()) {
		t.Helper()
		before := proxy.tunnels(host)
		f()
		if proxy.tunnels(host) == before {
			t.Errorf("%s reached %s without the proxy of ros.environment", who, host)
		}
	}
	through("ros os list", func() {
		if out := ssh.run("ros os list 2>&1"); !regexp.MustCompile(`(?m)^0\.2\.0\s+\(signed\)$`).MatchString(out) {
			t.Errorf("ros os list of the private registry as rancher:\n%s", out)
		}
	})
	// Without a password: not the user's docker login, not root's file.
	out, err := ssh.try("HOME=/tmp ros os list 2>&1", "yes")
	if err == nil || !strings.Contains(out, "UNAUTHORIZED") || !strings.Contains(out, "ros.registry_auths") || strings.Contains(strings.TrimSpace(out), "\n") {
		t.Errorf("ros os list without the password: %v:\n%s", err, out)
	}
	// Without the CA.
	certs := "/etc/docker/certs.d/" + host
	out, err = ssh.try("sudo mv "+certs+" /tmp/ca && ros os list 2>&1; s=$?; sudo mv /tmp/ca "+certs+"; exit $s", "yes")
	if err == nil || !strings.Contains(out, "certificate signed by unknown authority") || !strings.Contains(out, certs+"/ca.crt") || strings.Contains(strings.TrimSpace(out), "\n") {
		t.Errorf("ros os list without the CA: %v:\n%s", err, out)
	}
	// User Docker pushes and pulls through the same CA and login, and
	// System Docker pulls.
	img := host + "/fleet/busybox:1"
	through("User Docker", func() {
		ssh.run("docker tag busybox " + img + " && docker push -q " + img + " && docker rmi " + img + " && docker pull -q " + img)
	})
	through("System Docker", func() { ssh.run("system-docker pull -q " + img + " && system-docker rmi " + img) })
}

// connectProxy is an HTTPS proxy (CONNECT) on the host that counts the
// tunnels it opened to each target; the guest's 10.0.2.2 is the host's
// loopback.
type connectProxy struct {
	addr string
	mu   sync.Mutex
	n    map[string]int
	open []net.Conn
}

func startProxy(t *testing.T) *connectProxy {
	p := &connectProxy{n: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		h, pt, _ := net.SplitHostPort(r.Host)
		if h == "10.0.2.2" {
			h = "127.0.0.1"
		}
		up, err := net.DialTimeout("tcp", net.JoinHostPort(h, pt), 10*time.Second)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		down, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		p.mu.Lock()
		p.n[r.Host]++
		p.open = append(p.open, up, down)
		p.mu.Unlock()
		_, _ = io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { _, _ = io.Copy(up, rw); up.Close() }()
		_, _ = io.Copy(down, up)
		down.Close()
	}))
	t.Cleanup(func() {
		p.mu.Lock()
		for _, c := range p.open {
			c.Close()
		}
		p.mu.Unlock()
		srv.Close()
	})
	p.addr = srv.Listener.Addr().String()
	return p
}

func (p *connectProxy) tunnels(host string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[host]
}

// checkConfigured checks what testCloudConfig asks for, over ssh.
func checkConfigured(t *testing.T, ssh *sshClient) {
	t.Helper()
	if got := ssh.run("hostname"); got != "ros-e2e" {
		t.Errorf("hostname = %q, want ros-e2e", got)
	}
	if got := ssh.run("cat /opt/e2e/hello.txt; stat -c '%a %U' /opt/e2e/hello.txt"); got != "hello from cloud-config\n640 rancher" {
		t.Errorf("the written file: %q", got)
	}
	if got := ssh.run("cat /opt/e2e/bootcmd.txt /proc/sys/vm/swappiness"); got != "ros-e2e\n13" {
		t.Errorf("bootcmd's file and vm.swappiness: %q, want the hostname and 13", got)
	}
	if got := ssh.run("cat /etc/resolv.conf"); !strings.Contains(got, "nameserver 192.0.2.53") {
		t.Errorf("/etc/resolv.conf lacks the configured DNS server:\n%s", got)
	}
	ps := ssh.run("system-docker ps --format '{{.Names}} {{.Status}}'")
	for _, svc := range []string{"hello", "cron", "console"} {
		if !regexp.MustCompile(`(?m)^` + svc + ` Up`).MatchString(ps) {
			t.Errorf("system-docker ps does not show %s up:\n%s", svc, ps)
		}
	}
	for key, want := range map[string]string{"hostname": "ros-e2e", "ros.services_include.cron": "true"} {
		if got := ssh.run("sudo ros config get " + key); got != want {
			t.Errorf("ros config get %s = %q, want %q", key, got, want)
		}
	}
	deadline := time.Now().Add(time.Minute) // runcmd runs once the system is up
	for ssh.run("cat /opt/e2e/runcmd.txt 2>/dev/null || true") != "runcmd ran" {
		if time.Now().After(deadline) {
			t.Errorf("runcmd did not run")
			break
		}
		time.Sleep(2 * time.Second)
	}
}

// checkServiceCommands drives ros service and ros config set as a user would.
func checkServiceCommands(t *testing.T, ssh *sshClient) {
	t.Helper()
	list := ssh.run("ros service list")
	for _, want := range []string{`(?m)^cron\s+running\s+catalog, enabled`, `(?m)^hello\s+running\s+config`, `(?m)^network\s+running\s+built-in`} {
		if !regexp.MustCompile(want).MatchString(list) {
			t.Errorf("ros service list does not match %s:\n%s", want, list)
		}
	}
	if out := ssh.run("sudo ros service stop hello && system-docker inspect -f '{{.State.Status}}' hello"); !strings.HasSuffix(out, "exited") {
		t.Errorf("after ros service stop hello: %q", out)
	}
	if out := ssh.run("sudo ros service up hello && system-docker inspect -f '{{.State.Status}}' hello"); !strings.HasSuffix(out, "running") {
		t.Errorf("after ros service up hello: %q", out)
	}
	out := ssh.run("sudo ros config set ros.services.hello.environment '{GREETING: hi}' && sudo ros service up hello && system-docker inspect -f '{{.Config.Env}}' hello")
	if !strings.Contains(out, "sudo ros service up hello") || !strings.Contains(out, "GREETING=hi") {
		t.Errorf("ros config set + ros service up did not recreate hello with the new environment:\n%s", out)
	}
	if out, err := ssh.try("sudo ros config set hostnme x", "yes"); err == nil || !strings.Contains(out, `unknown key`) {
		t.Errorf("ros config set of an unknown key: %v: %s", err, out)
	}
}

// badServices is a valid config that cannot work: User Docker gets an
// argument dockerd refuses, and the console service is replaced with one
// whose image does not exist anywhere. (It also turns on autologin, which
// the built-in console then honours.)
const badServices = `ros:
  console: {autologin: true}
  docker: {args: [--no-such-flag]}
  services:
    console: {image: "nosuch.invalid/console:1", entrypoint: [/bin/false]}
`

// A config with an unknown key (on STATE) and one with a syntax error (on
// a config drive): the machine still comes up to a login with the last
// good config, and the console says what is wrong and where. A console
// service that the config breaks falls back to the built-in one, and User
// Docker starts without the arguments that keep it from starting.
func TestBadConfigStillBoots(t *testing.T) {
	cc := filepath.Join(t.TempDir(), "cloud-config.yml")
	if err := os.WriteFile(cc, []byte("#cloud-config\nhostname: good-config\n"+badServices), 0o600); err != nil {
		t.Fatal(err)
	}
	disk := installDisk(t, "--cloud-config", cc) // autologin from the config, not the kernel
	vm := boot(t, qemu.Config{Disks: []string{disk}, OVMF: true})
	if _, err := vm.Console.Expect(regexp.MustCompile(`starting the built-in console instead`), 4*time.Minute); err != nil {
		t.Errorf("the broken console service was not replaced by the built-in one: %v", err)
	}
	waitUp(t, vm, "a")
	sh := waitLogin(t, vm, time.Minute)
	if got := strings.TrimSpace(sh.run("hostname", time.Minute)); got != "good-config" {
		t.Fatalf("hostname = %q, want good-config", got)
	}
	if out := sh.run("ros service logs docker 2>&1 | grep 'did not start with ros.docker.args'", time.Minute); !strings.Contains(out, "--no-such-flag") {
		t.Errorf("User Docker's log does not say it dropped the bad argument: %q", out)
	}
	// A typo made by editing the file by hand, which ros config set refuses.
	sh.run(`sudo sh -c 'echo "hostnme: typo" >> /state/ros/cloud-config.yml'`, time.Minute)
	out, _ := sh.runStatus("sudo ros config validate /state/ros/cloud-config.yml 2>&1", time.Minute)
	if !strings.Contains(out, `/state/ros/cloud-config.yml:8: unknown key "hostnme"`) {
		t.Errorf("ros config validate said: %q", out)
	}
	sh.run("sudo ros poweroff", time.Minute)
	if err := vm.Wait(2 * time.Minute); err != nil {
		t.Fatalf("the guest did not power off: %v", err)
	}

	vm = boot(t, qemu.Config{Disks: []string{disk, cidataISO(t, "#cloud-config\nhostname: [broken\n")}, OVMF: true})
	for _, want := range []string{
		`cloud-config NOT applied`,
		`/state/ros/cloud-config.yml:8: unknown key "hostnme"`,
		`cidata:/dev/vdb user-data:\d+: `,
		`using the last good config`,
	} {
		if _, err := vm.Console.Expect(regexp.MustCompile(want), 4*time.Minute); err != nil {
			t.Errorf("the console does not say %q: %v", want, err)
		}
	}
	waitUp(t, vm, "a")
	sh = waitLogin(t, vm, time.Minute)
	if got := strings.TrimSpace(sh.run("hostname", time.Minute)); got != "good-config" {
		t.Errorf("with a bad config, hostname = %q, want good-config (the last good one)", got)
	}
}

// cidataISO is a NoCloud config drive holding userData.
func cidataISO(t *testing.T, userData string) string {
	dir := t.TempDir()
	for name, data := range map[string]string{"user-data": userData, "meta-data": "instance-id: e2e\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	iso := filepath.Join(t.TempDir(), "seed.iso")
	run(t, "genisoimage", "-quiet", "-output", iso, "-volid", "cidata", "-joliet", "-rock",
		filepath.Join(dir, "user-data"), filepath.Join(dir, "meta-data"))
	return iso
}

// sharedVersion builds the OS at version v once per test run, for every
// test that upgrades to it.
func sharedVersion(t testing.TB, v string) string {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if dir, ok := shared[v]; ok {
		return dir
	}
	dir := buildVersionIn(t, filepath.Join(repo, "build/e2e", v), v, "")
	shared[v] = dir
	return dir
}

var (
	sharedMu sync.Mutex
	shared   = map[string]string{}
)
