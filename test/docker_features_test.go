//go:build e2e

package test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/qemu"
)

// Paths in the OS image the checks rely on (images/os.yaml ships them).
const (
	checkConfigScript = "/usr/share/docker.io/contrib/check-config.sh" // moby's, from docker.io
	kernelConfig      = "/usr/lib/modules/$(uname -r)/config"          // the guest's shell expands it
)

// Ports the checks publish in the guest. compose.yaml publishes composePort.
const (
	webPort     = 8080 // docker run -p, TCP, of a --restart always container
	udpPort     = 5353 // docker run -p, UDP
	composePort = 8082
	swarmPort   = 8090 // a swarm service, through the ingress routing mesh
)

// forwards are the host ports QEMU forwards to the guest's published ports.
type forwards struct{ web, udp, swarm int }

func newForwards(t *testing.T) forwards {
	return forwards{web: freePort(t), udp: freeUDPPort(t), swarm: freePort(t)}
}

// rules are the forwards as qemu.Config.Forward takes them.
func (f forwards) rules() []string {
	return []string{
		fmt.Sprintf("tcp:127.0.0.1:%d-:%d", f.web, webPort),
		fmt.Sprintf("udp:127.0.0.1:%d-:%d", f.udp, udpPort),
		fmt.Sprintf("tcp:127.0.0.1:%d-:%d", f.swarm, swarmPort),
	}
}

// features checks, on the machine TestSystemAndUserDocker booted, the
// Docker features users rely on (issue 11), each a subtest.
type features struct {
	files string // the host's file server, as the guest reaches it
	fwd   forwards
}

// userDockerFeatures runs the checks at the console sh, in the order of the
// table: the later ones use images the earlier ones build.
func userDockerFeatures(t *testing.T, vm *qemu.VM, sh *shell, fwd forwards) {
	f := &features{files: serveGuestFiles(t), fwd: fwd}
	start := time.Now()
	sh.run("mkdir -p ~/e2e", time.Minute)
	for _, c := range []struct {
		name  string
		check func(*testing.T, *shell)
	}{
		{"etc hosts has localhost", f.etcHosts},
		{"docker info without warnings", f.dockerInfo},
		{"check-config.sh", f.checkConfig},
		{"busybox wget -T", f.wget},
		{"published TCP port", f.publishedTCP},
		{"docker build with BuildKit, multi-stage", f.build},
		{"published UDP port", f.publishedUDP},
		{"docker buildx build", f.buildx},
		{"container DNS on a user network", f.containerDNS},
		{"docker compose", f.compose},
		{"volumes and bind mounts", f.volumes},
		{"resource limits", f.limits},
		{"container logs are bounded", f.boundedLogs},
		{"healthcheck", f.healthcheck},
		{"macvlan and ipvlan networks", f.vlanNetworks},
		{"swarm", f.swarm},
	} {
		if t.Run(c.name, func(t *testing.T) { c.check(t, sh.on(t)) }) {
			continue
		}
		if _, _, err := sh.try("true", time.Minute); err != nil {
			t.Fatalf("the console stopped answering after %q failed: %v", c.name, err)
		}
	}
	t.Logf("the Docker feature checks took %s", time.Since(start).Round(time.Second))
	if vm.Exited() {
		t.Fatal("QEMU exited during the Docker feature checks")
	}
}

// restartedAfterReboot checks, after TestSystemAndUserDocker's reboot, that
// the --restart always container of "published TCP port" is back and serves
// its port, in the guest and to the host.
func restartedAfterReboot(t *testing.T, sh *shell, fwd forwards) {
	t.Run("restart always after ros reboot", func(t *testing.T) {
		sh := sh.on(t)
		defer sh.diagnose("docker ps -a", "docker logs e2e-web", "sudo iptables -t nat -S")
		if !sh.waitFor("docker inspect -f '{{.State.Running}} {{.HostConfig.RestartPolicy.Name}}' e2e-web", "^true always", 2*time.Minute) {
			t.FailNow()
		}
		sh.waitFor(fetch(fmt.Sprintf("http://127.0.0.1:%d/", webPort))+" 2>&1", webPage, time.Minute)
		hostGet(t, fwd.web, webPage, time.Minute)
	})
}

const (
	webPage   = "e2e-web-page"
	helloText = "hello from the host"
)

// fetch is busybox wget printing url, with a read timeout.
func fetch(url string) string { return "wget -q -T 5 -O- " + url }

// httpd is the command of a busybox container that serves page at /.
func httpd(page string) string {
	return fmt.Sprintf(`sh -c 'mkdir -p /www && echo %s > /www/index.html && exec httpd -f -p 80 -h /www'`, page)
}

// plain runs cmd with its output in a file, so that progress displays
// (BuildKit's, compose's) see no terminal and print plain lines; then
// prints that output. Its exit status is cmd's.
func plain(cmd string) string {
	return "{ " + cmd + "; } >/tmp/e2e.out 2>&1; r=$?; cat /tmp/e2e.out; (exit $r)"
}

// fetchContext unpacks the host's NAME.tar into ~/e2e, with busybox wget.
func (f *features) fetchContext(sh *shell, name string) {
	sh.t.Helper()
	sh.run(fmt.Sprintf("wget -q -T 30 -O /tmp/%[1]s.tar %[2]s/%[1]s.tar && tar -xof /tmp/%[1]s.tar -C ~/e2e", name, f.files), 2*time.Minute)
}

// needImage stops t unless User Docker has the image an earlier check built.
func needImage(sh *shell, image, check string) {
	sh.t.Helper()
	if _, status := sh.runStatus("docker image inspect -f '{{.Id}}' "+image, time.Minute); status != "0" {
		sh.t.Fatalf("there is no image %s: the %q check builds it", image, check)
	}
}

func (f *features) etcHosts(t *testing.T, sh *shell) {
	out := sh.run("cat /etc/hosts", time.Minute)
	if !regexp.MustCompile(`(?m)^\s*127\.0\.0\.1\s+(\S+\s+)*localhost(\s|$)`).MatchString(out) {
		t.Errorf("/etc/hosts at the console has no 127.0.0.1 localhost line:\n%s", out)
	}
	// busybox ping opens a raw socket: root's (sudo), as on RancherOS.
	out, status := sh.runStatus("sudo ping -c 1 -W 5 localhost 2>&1", time.Minute)
	switch {
	case !strings.Contains(out, "PING localhost (127.0.0.1)"):
		t.Errorf("sudo ping localhost at the console does not resolve localhost to 127.0.0.1: exit status %s:\n%s", status, out)
	case status != "0":
		t.Errorf("sudo ping localhost at the console: exit status %s:\n%s", status, out)
	}
}

func (f *features) dockerInfo(t *testing.T, sh *shell) {
	out := sh.run("docker info 2>&1", time.Minute)
	var warnings []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(strings.ToUpper(l), "WARNING") {
			warnings = append(warnings, l)
		}
	}
	if len(warnings) > 0 {
		t.Errorf("docker info warns:\n%s", strings.Join(warnings, "\n"))
	}
	m := regexp.MustCompile(`(?m)^\s*Server Version:\s*(\d+)\.(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("docker info shows no server version:\n%s", out)
	}
	t.Logf("User Docker %s.%s", m[1], m[2])
	if major, _ := strconv.Atoi(m[1]); major < 26 {
		t.Errorf("User Docker is %s.%s, want 26 or later", m[1], m[2])
	}
}

// checkConfig runs moby's check-config.sh against the shipped kernel config.
func (f *features) checkConfig(t *testing.T, sh *shell) {
	out := sh.run(fmt.Sprintf(`for f in %[1]s %[2]s; do [ -f "$f" ] || echo "lacking: $f"; done; `+
		`if ! command -v zgrep >/dev/null; then echo "lacking: zgrep"; `+
		`elif [ -f %[2]s ] && ! zgrep -q CONFIG_NAMESPACES= %[2]s 2>&1; then echo "lacking: a zgrep that reads the kernel config"; fi`,
		checkConfigScript, kernelConfig), time.Minute)
	if strings.Contains(out, "lacking: ") {
		t.Fatalf("the image lacks what check-config.sh needs (moby's script from docker.io at %s, the kernel's config at %s, "+
			"and zgrep, which the script reads the config with):\n%s", checkConfigScript, kernelConfig, out)
	}
	out, _ = sh.runStatus(fmt.Sprintf("NO_COLOR=1 sh %s %s 2>&1 | cat", checkConfigScript, kernelConfig), 3*time.Minute)
	problems := checkConfigProblems(out)
	if len(problems) == 0 {
		return
	}
	msg := strings.Join(problems, "\n")
	if strings.Contains(msg, "no entry") || strings.Contains(msg, "no line") { // not the output the parser knows
		msg += "\nthe whole output:\n" + out
	}
	t.Errorf("check-config.sh %s reports missing what Docker needs:\n%s", kernelConfig, msg)
}

func (f *features) wget(t *testing.T, sh *shell) {
	url := f.files + "/hello.txt"
	for _, c := range []struct{ where, cmd string }{
		{"at the console", fetch(url) + " 2>&1"},
		{"in a busybox container", "docker run --rm busybox " + fetch(url) + " 2>&1"},
	} {
		if out, status := sh.runStatus(c.cmd, 2*time.Minute); status != "0" || !strings.Contains(out, helloText) {
			t.Errorf("busybox wget -T 5 %s from the host: exit status %s (139 is a segfault), want %q:\n%s", c.where, status, helloText, out)
		}
	}
}

func (f *features) publishedTCP(t *testing.T, sh *shell) {
	defer sh.diagnose("docker ps -a", "docker logs e2e-web", "sudo iptables -t nat -S")
	sh.run(fmt.Sprintf("docker run -d --name e2e-web --restart always -p %d:80 busybox %s", webPort, httpd(webPage)), 2*time.Minute)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		sh.waitFor(fetch(fmt.Sprintf("http://%s:%d/", host, webPort))+" 2>&1", webPage, time.Minute)
	}
	hostGet(t, f.fwd.web, webPage, time.Minute)
}

// buildKitOutput is how BuildKit's plain progress starts; the legacy
// builder prints "Step 1/N : ..." instead.
var buildKitOutput = regexp.MustCompile(`(?m)^#\d+ \[internal\] load build definition from Dockerfile`)

// build builds the UDP echo image: docker build, whose default builder
// must be BuildKit, of a multi-stage Dockerfile with a RUN step.
func (f *features) build(t *testing.T, sh *shell) {
	f.fetchContext(sh, "udpecho")
	out := sh.run(plain("docker build -t e2e-udpecho ~/e2e/udpecho"), 5*time.Minute)
	if !buildKitOutput.MatchString(out) {
		t.Errorf("docker build did not build with BuildKit:\n%s", out)
	}
	for _, stage := range []string{`\[check \d+/\d+\] RUN /udpecho selftest`, `\[stage-1 \d+/\d+\] COPY --from=check`} {
		if !regexp.MustCompile(stage).MatchString(out) {
			t.Errorf("docker build shows no step matching %s:\n%s", stage, out)
		}
	}
	if got := strings.TrimSpace(sh.run("docker run --rm --entrypoint cat e2e-udpecho /etc/udpecho-selftest", 2*time.Minute)); got != "echo selftest" {
		t.Errorf("the image's file from the first stage holds %q, want %q", got, "echo selftest")
	}
}

func (f *features) publishedUDP(t *testing.T, sh *shell) {
	needImage(sh, "e2e-udpecho", "docker build with BuildKit, multi-stage")
	defer sh.diagnose("docker ps -a", "docker logs e2e-udp", "sudo iptables -t nat -S")
	sh.run(fmt.Sprintf("docker run -d --name e2e-udp -p %d:%d/udp e2e-udpecho serve :%d", udpPort, udpPort, udpPort), 2*time.Minute)
	// The same static program, at the console.
	if out, status := sh.runStatus(fmt.Sprintf("~/e2e/udpecho/udpecho ask 127.0.0.1:%d from-the-guest 2>&1", udpPort), time.Minute); status != "0" ||
		strings.TrimSpace(out) != "echo from-the-guest" {
		t.Errorf("a datagram to 127.0.0.1:%d in the guest: exit status %s:\n%s", udpPort, status, out)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", f.fwd.udp)
	if answer, err := askUDP(addr, "from-the-host", 30*time.Second); err != nil || answer != "echo from-the-host" {
		t.Errorf("a datagram from the host to %s (forwarded to the guest's %d/udp): answer %q, %v", addr, udpPort, answer, err)
	}
}

// askUDP sends text to addr from the host until an answer comes, once a
// second, for up to within.
func askUDP(addr, text string, within time.Duration) (string, error) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	buf := make([]byte, 1500)
	for deadline := time.Now().Add(within); ; {
		if _, err = conn.Write([]byte(text)); err == nil {
			_ = conn.SetReadDeadline(time.Now().Add(time.Second))
			var n int
			if n, err = conn.Read(buf); err == nil {
				return string(buf[:n]), nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no answer within %s: %w", within, err)
		}
		time.Sleep(time.Second)
	}
}

// buildx builds, with docker buildx build, the image of the host's getent
// (glibc's ordinary resolver) that the DNS check uses.
func (f *features) buildx(t *testing.T, sh *shell) {
	if out := sh.run("docker buildx ls 2>&1", time.Minute); !strings.Contains(out, "default") || !strings.Contains(out, "running") {
		t.Errorf("docker buildx ls shows no running default builder:\n%s", out)
	}
	f.fetchContext(sh, "getent")
	out := sh.run(plain("docker buildx build -t e2e-getent ~/e2e/getent"), 5*time.Minute)
	if !buildKitOutput.MatchString(out) {
		t.Errorf("docker buildx build printed no BuildKit progress:\n%s", out)
	}
	out = sh.run("docker run --rm e2e-getent hosts localhost", 2*time.Minute)
	if !regexp.MustCompile(`(?m)^(127\.0\.0\.1|::1)\s+localhost`).MatchString(out) {
		t.Errorf("getent hosts localhost in the image docker buildx built: %q", out)
	}
}

// containerDNS checks Docker's embedded DNS on a user network, through
// busybox's own DNS client and through glibc's resolver (getent).
func (f *features) containerDNS(t *testing.T, sh *shell) {
	defer sh.diagnose("docker ps -a", "docker logs e2e-named", "docker network inspect e2e-net", "sudo iptables -t nat -S")
	sh.run("docker network create e2e-net", time.Minute)
	sh.run("docker run -d --name e2e-named --network e2e-net busybox "+httpd("e2e-named-page"), 2*time.Minute)
	ip := strings.TrimSpace(sh.run("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' e2e-named", time.Minute))
	if net.ParseIP(ip) == nil {
		t.Fatalf("e2e-named has no address on e2e-net: %q", ip)
	}
	out := sh.run(`docker run --rm --network e2e-net busybox sh -c '`+
		`nslookup -type=a e2e-named 127.0.0.11; echo "nslookup=$?"; ping -c 1 -W 5 e2e-named; echo "ping=$?"; `+
		`w=1; for i in 1 2 3 4 5; do wget -q -T 5 -O- http://e2e-named/ && { w=0; break; }; sleep 1; done; echo "wget=$w"' 2>&1`, 2*time.Minute)
	// busybox prints the server's address first, then Name: and Address: of the answer.
	if !regexp.MustCompile(`(?s)Name:\s*e2e-named.*?Address:\s*` + regexp.QuoteMeta(ip) + `\b`).MatchString(out) {
		t.Errorf("nslookup e2e-named 127.0.0.11 in a container on e2e-net does not answer %s:\n%s", ip, out)
	}
	if !strings.Contains(out, "ping=0") {
		t.Errorf("ping e2e-named in a container on e2e-net failed:\n%s", out)
	}
	if !strings.Contains(out, "wget=0") || !strings.Contains(out, "e2e-named-page") {
		t.Errorf("wget http://e2e-named/ in a container on e2e-net failed:\n%s", out)
	}
	needImage(sh, "e2e-getent", "docker buildx build")
	out = sh.run("docker run --rm --network e2e-net e2e-getent hosts e2e-named 2>&1", 2*time.Minute)
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(ip) + `\s+e2e-named`).MatchString(out) {
		t.Errorf("getent hosts e2e-named (glibc's resolver) in a container on e2e-net does not answer %s:\n%q", ip, out)
	}
}

// composeLeft counts what the compose project has in User Docker.
const composeLeft = `l=com.docker.compose.project=e2e-compose; echo containers=$(docker ps -aq --filter label=$l | wc -l) ` +
	`volumes=$(docker volume ls -q --filter label=$l | wc -l) networks=$(docker network ls -q --filter label=$l | wc -l)`

func (f *features) compose(t *testing.T, sh *shell) {
	const dc = "docker compose -f ~/e2e/compose/compose.yaml"
	f.fetchContext(sh, "compose")
	defer sh.diagnose(dc+" ps -a", dc+" logs", "sudo iptables -t nat -S")
	sh.run(plain(dc+" up -d"), 3*time.Minute)
	sh.waitFor(dc+" exec -T client "+fetch("http://web/")+" 2>&1", "compose-web", time.Minute)
	sh.waitFor(fetch(fmt.Sprintf("http://127.0.0.1:%d/", composePort))+" 2>&1", "compose-web", time.Minute)
	if got := strings.TrimSpace(sh.run(composeLeft, time.Minute)); got != "containers=2 volumes=1 networks=1" {
		t.Errorf("after docker compose up: %s, want containers=2 volumes=1 networks=1", got)
	}
	sh.run(plain(dc+" down -v"), 3*time.Minute)
	if got := strings.TrimSpace(sh.run(composeLeft, time.Minute)); got != "containers=0 volumes=0 networks=0" {
		t.Errorf("docker compose down -v left %s", got)
	}
}

func (f *features) volumes(t *testing.T, sh *shell) {
	sh.run("docker volume create e2e-vol", time.Minute)
	sh.run(`docker run --rm -v e2e-vol:/data busybox sh -c 'echo in-the-volume > /data/f'`, 2*time.Minute)
	if got := strings.TrimSpace(sh.run("docker run --rm -v e2e-vol:/data:ro busybox cat /data/f", 2*time.Minute)); got != "in-the-volume" {
		t.Errorf("a second container reads %q from the volume e2e-vol, want in-the-volume", got)
	}
	sh.run("mkdir -p ~/e2e/bind && echo from-the-console > ~/e2e/bind/in", time.Minute)
	out, status := sh.runStatus(`docker run --rm -v "$HOME/e2e/bind:/b" busybox sh -c 'cat /b/in && echo from-a-container > /b/out' 2>&1`, 2*time.Minute)
	if status != "0" || strings.TrimSpace(out) != "from-the-console" {
		t.Fatalf("a container with -v $HOME/e2e/bind:/b does not see the file written there at the console "+
			"(dockerd finds bind sources in its own mount namespace: User Docker must see /home): exit status %s:\n%s", status, out)
	}
	if got := strings.TrimSpace(sh.run("cat ~/e2e/bind/out 2>&1 || true", time.Minute)); got != "from-a-container" {
		t.Errorf("the console does not see the file a container wrote to its bind mount of ~/e2e/bind: %q", got)
	}
}

func (f *features) limits(t *testing.T, sh *shell) {
	out := sh.run("docker run --rm -m 64m --cpus 0.5 --pids-limit 50 busybox cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max", 2*time.Minute)
	got := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{"67108864", "50000 100000", "50"}
	for i, file := range []string{"memory.max", "cpu.max", "pids.max"} {
		if i >= len(got) || strings.TrimSpace(got[i]) != want[i] {
			t.Errorf("%s of a container run with -m 64m --cpus 0.5 --pids-limit 50 is not %q; the three files hold:\n%s", file, want[i], out)
		}
	}
}

// boundedLogs: a user's container, and the system services, log to files
// that rotate (3 × 10 MB) unless told otherwise: logs cannot fill STATE.
func (f *features) boundedLogs(t *testing.T, sh *shell) {
	const format = `'{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "max-size"}} {{index .HostConfig.LogConfig.Config "max-file"}}'`
	sh.run("docker run -d --name e2e-logs busybox sleep 3600", 2*time.Minute)
	if got := strings.TrimSpace(sh.run("docker inspect -f "+format+" e2e-logs", time.Minute)); got != "json-file 10m 3" {
		t.Errorf("a user container's log configuration is %q, want json-file 10m 3", got)
	}
	sh.run("docker rm -f e2e-logs", time.Minute)
	if got := strings.TrimSpace(sh.run("sudo system-docker inspect -f "+format+" console", time.Minute)); got != "json-file 10m 3" {
		t.Errorf("the console service's log configuration is %q, want json-file 10m 3", got)
	}
}

func (f *features) healthcheck(t *testing.T, sh *shell) {
	defer sh.diagnose("docker ps -a", "docker inspect -f '{{json .State.Health}}' e2e-health")
	sh.run(`docker run -d --name e2e-health --health-cmd 'test -e /tmp/ready' --health-interval 2s --health-retries 30 `+
		`busybox sh -c 'sleep 3; touch /tmp/ready; exec sleep 3600'`, 2*time.Minute)
	sh.waitFor("docker inspect -f '{{.State.Health.Status}}' e2e-health", "^healthy$", 2*time.Minute)
}

// vlanNetworks runs a container on a macvlan and on an ipvlan network on
// eth0: the kernel modules of both drivers load. The subnets are
// documentation addresses: nothing is sent to them.
func (f *features) vlanNetworks(t *testing.T, sh *shell) {
	defer sh.diagnose("docker network ls", "lsmod")
	for _, n := range []struct{ driver, subnet string }{{"macvlan", "198.51.100.0/25"}, {"ipvlan", "198.51.100.128/25"}} {
		name := "e2e-" + n.driver
		if out, status := sh.runStatus(fmt.Sprintf("docker network create -d %s -o parent=eth0 --subnet %s %s 2>&1", n.driver, n.subnet, name), time.Minute); status != "0" {
			t.Errorf("docker network create -d %s: exit status %s:\n%s", n.driver, status, out)
			continue
		}
		if out, status := sh.runStatus("docker run --rm --network "+name+" busybox ip addr show eth0 2>&1", 2*time.Minute); status != "0" ||
			!strings.Contains(out, "inet 198.51.100.") {
			t.Errorf("a container on the %s network: exit status %s, no %s address:\n%s", n.driver, status, n.subnet, out)
		}
		sh.run("docker network rm "+name, time.Minute)
	}
}

// swarm makes the machine a one-node swarm, runs a service with a port
// published through the ingress routing mesh on an attachable overlay
// network, and leaves the swarm again. The service's image is busybox by
// ID: a worker pulls an image named by tag, even when it has it, and there
// is no registry.
func (f *features) swarm(t *testing.T, sh *shell) {
	left := false
	defer func() {
		sh.diagnose("docker service ps --no-trunc e2e-svc", "docker service logs e2e-svc", "docker network ls", "sudo iptables -t nat -S")
		if !left { // the checks after the reboot run without a swarm
			if out, status, err := sh.try("docker swarm leave --force 2>&1", 2*time.Minute); err != nil || status != "0" {
				t.Errorf("docker swarm leave --force: exit status %s, %v:\n%s", status, err, out)
			}
		}
	}()
	if out := sh.run(plain("docker swarm init --advertise-addr 10.0.2.15"), 3*time.Minute); !strings.Contains(out, "Swarm initialized") {
		t.Fatalf("docker swarm init:\n%s", out)
	}
	sh.run("docker network create -d overlay --attachable e2e-overlay", 2*time.Minute)
	sh.run(fmt.Sprintf(`docker service create --detach --no-resolve-image --name e2e-svc --network e2e-overlay --publish published=%d,target=80 `+
		`"$(docker image inspect -f '{{.Id}}' busybox:latest)" %s`, swarmPort, httpd("e2e-svc-page")), 2*time.Minute)
	if !sh.waitFor("docker service ps --format '{{.CurrentState}}' e2e-svc", "Running", 3*time.Minute) {
		t.FailNow()
	}
	sh.waitFor(fetch(fmt.Sprintf("http://127.0.0.1:%d/", swarmPort))+" 2>&1", "e2e-svc-page", 2*time.Minute)
	hostGet(t, f.fwd.swarm, "e2e-svc-page", time.Minute)
	sh.waitFor("docker run --rm --network e2e-overlay busybox "+fetch("http://e2e-svc/")+" 2>&1", "e2e-svc-page", 2*time.Minute)
	out := sh.run("docker swarm leave --force 2>&1 && docker info --format '{{.Swarm.LocalNodeState}}'", 2*time.Minute)
	left = true
	if !strings.Contains(out, "inactive") {
		t.Errorf("after docker swarm leave --force, the node is not inactive:\n%s", out)
	}
}

// waitFor runs cmd until it exits 0 printing something that matches the
// regular expression want, for up to within. If it never does, it fails t
// (without stopping it) with the last output, and returns false.
func (s *shell) waitFor(cmd, want string, within time.Duration) bool {
	s.t.Helper()
	re := regexp.MustCompile("(?m)" + want)
	for deadline := time.Now().Add(within); ; {
		out, status := s.runStatus(cmd, time.Until(deadline)+time.Minute)
		if status == "0" && re.MatchString(out) {
			return true
		}
		if time.Now().After(deadline) {
			s.t.Errorf("%s: no output matching %s within %s; last, exit status %s:\n%s", cmd, want, within, status, out)
			return false
		}
		time.Sleep(time.Second)
	}
}

// diagnose logs, if t has failed, what a user would look at: what each of
// cmds prints (with its errors; sudo runs it as root).
func (s *shell) diagnose(cmds ...string) {
	if !s.t.Failed() {
		return
	}
	for _, c := range cmds {
		out, status, err := s.try(c+" 2>&1", time.Minute)
		if err != nil {
			s.t.Logf("$ %s: %v", c, err)
			return // the console does not answer
		}
		s.t.Logf("$ %s (exit status %s)\n%s", c, status, out)
	}
}

// hostGet fetches http://127.0.0.1:port/ on the host until the answer holds
// want, for up to within. If it never does, it fails t (without stopping it).
func hostGet(t *testing.T, port int, want string, within time.Duration) bool {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	client := &http.Client{Timeout: 5 * time.Second}
	var last string
	for deadline := time.Now().Add(within); ; {
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(b), want) {
				return true
			}
			last = fmt.Sprintf("%s: %q", resp.Status, b)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Errorf("GET %s on the host (forwarded to the guest): %s, want %q", url, last, want)
			return false
		}
		time.Sleep(time.Second)
	}
}
