package rosinit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
)

func TestMountArgv(t *testing.T) {
	tests := []struct {
		entry []string
		want  []string
	}{
		{[]string{"/dev/vdb1", "/data"}, []string{"mount", "/dev/vdb1", "/data"}},
		{[]string{"LABEL=data", "/data", "ext4", "noatime"}, []string{"mount", "-t", "ext4", "-o", "noatime", "LABEL=data", "/data"}},
		{[]string{"/dev/vdb", "/mnt", "auto", "defaults"}, []string{"mount", "/dev/vdb", "/mnt"}},
	}
	for _, tt := range tests {
		if got := mountArgv(tt.entry); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("mountArgv(%q) = %q, want %q", tt.entry, got, tt.want)
		}
	}
}

// TestApplyConfig checks what the cloud-config does to the host; an item
// that fails is logged and the others are still applied.
func TestApplyConfig(t *testing.T) {
	m := newMachine(t)
	must(t, os.MkdirAll(filepath.Join(m.opts.ProcSys, "net/ipv4"), 0o755))
	data := filepath.Join(m.root, "data")
	secret, script := filepath.Join(m.root, "etc/secret"), filepath.Join(m.root, "opt/bin/hello")
	m.write(m.opts.StateConfig, `
ssh_authorized_keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop]
write_files:
  - {path: `+secret+`, content: "s3cret\n", permissions: "0600", owner: "root:root"}
  - {path: `+script+`, content: "IyEvYmluL3NoCg==", encoding: b64, permissions: "0755"}
  - {path: `+filepath.Join(m.root, "etc/nobody")+`, content: x, owner: no-such-user}
mounts:
  - [LABEL=data, `+data+`, ext4, noatime]
  - [/dev/vdc, /proc/self/no/such/dir]
bootcmd: [echo early, [false]]
ros:
  environment: [ROS_TEST_APPLY=1, "HTTPS_PROXY=http://proxy.example:3128", "NO_PROXY=10.0.2.2,.local", "QUOTE=it's"]
  sysctl: {net.ipv4.ip_forward: "1", no.such.key: "1"}
  modules: [br_netfilter]
  registry_auths:
    registry.example.com:5000: {auth: "ZmxlZXQ6czNjcmV0"}
    other.example.com: {username: me, password: pw}
`)
	for _, k := range []string{"ROS_TEST_APPLY", "HTTPS_PROXY", "NO_PROXY", "QUOTE"} {
		t.Setenv(k, "") // PID 1 sets them in its own environment
	}
	m.runner.fail["false"] = errors.New("exit status 1")
	st := m.boot("running bootcmd")

	if got := m.read(filepath.Join(m.opts.ProcSys, "net/ipv4/ip_forward")); got != "1" {
		t.Errorf("ip_forward = %q, want 1", got)
	}
	if os.Getenv("ROS_TEST_APPLY") != "1" {
		t.Error("ros.environment not set for bootcmd")
	}
	checkFile(t, m.opts.Environment, "export ROS_TEST_APPLY='1'\nexport HTTPS_PROXY='http://proxy.example:3128'\n"+
		"export NO_PROXY='10.0.2.2,.local'\nexport QUOTE='it'\\''s'\n", 0o644)
	if out, err := exec.Command("sh", "-c", ". "+m.opts.Environment+` && printf %s "$QUOTE"`).CombinedOutput(); err != nil || string(out) != "it's" {
		t.Errorf("sourcing %s: %q, %v", m.opts.Environment, out, err)
	}
	checkFile(t, secret, "s3cret\n", 0o600)
	checkFile(t, script, "#!/bin/sh\n", 0o755)
	if got := m.chowns[secret]; got != [2]int{0, 0} {
		t.Errorf("%s owner %v, want root:root", secret, got)
	}
	if want := []string{"mount -t ext4 -o noatime LABEL=data " + data}; !reflect.DeepEqual(m.outputs, want) {
		t.Errorf("ran %q, want %q", m.outputs, want)
	}
	if fi, err := os.Stat(data); err != nil || !fi.IsDir() {
		t.Errorf("mount point %s not made: %v", data, err)
	}
	if len(m.kmods) != 2 || !strings.HasSuffix(m.kmods[1], ": br_netfilter") {
		t.Errorf("modules loaded %q, want the image's then br_netfilter", m.kmods)
	}
	keys := m.read(filepath.Join(m.opts.SSHKeysDir, contract.DefaultUser+".keys"))
	if want := st.cfg.SSHAuthorizedKeys[0] + "\n"; keys != want {
		t.Errorf("ssh keys %q, want %q", keys, want)
	}
	checkFile(t, m.opts.RegistryAuth, `{
	"auths": {
		"other.example.com": {
			"auth": "bWU6cHc="
		},
		"registry.example.com:5000": {
			"auth": "ZmxlZXQ6czNjcmV0"
		}
	}
}`, 0o600)
	if fi, err := os.Stat(m.opts.CertsDir); err != nil || !fi.IsDir() {
		t.Errorf("certs.d not made: %v", err)
	}
	if got, want := m.runner.commands()[1:], []string{"sh -c echo early", "false"}; !reflect.DeepEqual(got, want) {
		t.Errorf("bootcmd ran %q, want %q", got, want)
	}
	for _, want := range []string{"cloud-config: sysctl no.such.key=1: ", "write_files " + filepath.Join(m.root, "etc/nobody") + ": owner no-such-user: no such user",
		"cloud-config: mounts: ", "bootcmd[1] failed: exit status 1"} {
		if !strings.Contains(m.log.String(), want) {
			t.Errorf("log:\n%s\nwant %q", m.log, want)
		}
	}
}

func checkFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	fi, err := os.Stat(path)
	must(t, err)
	if string(b) != data || fi.Mode().Perm() != mode {
		t.Errorf("%s = %q, mode %v; want %q, %v", path, b, fi.Mode().Perm(), data, mode)
	}
}

func TestApplyConfigFailures(t *testing.T) {
	m := newMachine(t)
	m.opts.loadKmods = func(string, ...string) error { return errors.New("no such module") }
	m.opts.output = func(*exec.Cmd) ([]byte, error) {
		return []byte("mount: unknown filesystem\n"), errors.New("exit status 32")
	}
	m.opts.SSHKeysDir = filepath.Join(m.opts.ModulesFile, "ssh") // under a file
	st := m.state()
	st.cfg.Ros.Modules = []string{"bogus"}
	st.cfg.Mounts = [][]string{{"/dev/vdc", filepath.Join(m.root, "mnt")}}
	st.cfg.WriteFiles = []config.WriteFile{{Path: filepath.Join(m.opts.ModulesFile, "x"), Content: "x"}}
	must(t, applyConfig(context.Background(), st))
	for _, want := range []string{"cloud-config: loading modules: no such module",
		"mounts: mount /dev/vdc " + filepath.Join(m.root, "mnt") + ": exit status 32: mount: unknown filesystem",
		"cloud-config: write_files " + filepath.Join(m.opts.ModulesFile, "x") + ": ",
		"cloud-config: mkdir " + m.opts.ModulesFile + ": not a directory"} {
		if !strings.Contains(m.log.String(), want) {
			t.Errorf("log:\n%s\nwant %q", m.log, want)
		}
	}
}

func TestLookupOwner(t *testing.T) {
	tests := []struct {
		owner    string
		uid, gid int
		wantErr  string
	}{
		{"", 0, 0, ""},
		{"root", 0, 0, ""},
		{"0:0", 0, 0, ""},
		{"root:no-such-group", 0, 0, "owner root:no-such-group: no such group"},
		{"no-such-user", 0, 0, "owner no-such-user: no such user"},
	}
	for _, tt := range tests {
		uid, gid, err := lookupOwner(tt.owner)
		if fmt.Sprint(err) != fmt.Sprint(errOrNil(tt.wantErr)) || uid != tt.uid || gid != tt.gid {
			t.Errorf("lookupOwner(%q) = %d, %d, %v; want %d, %d, %v", tt.owner, uid, gid, err, tt.uid, tt.gid, tt.wantErr)
		}
	}
}

func TestRuncmd(t *testing.T) {
	m := newMachine(t)
	m.runner.done = make(chan struct{}, 4)
	st := m.state()
	must(t, startRuncmd(context.Background(), st)) // none: nothing runs
	st.cfg.Runcmd = []config.RunCommand{{"sh", "-c", "date"}}
	must(t, startRuncmd(context.Background(), st))
	waitCommand(t, m, "sh -c date")
	if got := m.runner.commands(); len(got) != 1 {
		t.Errorf("ran %q, want runcmd once", got)
	}
}
