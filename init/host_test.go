package rosinit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/init/kmod"
	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
)

func TestMountSystem(t *testing.T) {
	m := newMachine(t)
	m.write(m.opts.Milestones, "init 1.25\nstate 2.5\n")
	st := m.state()
	must(t, mountSystem(context.Background(), st))
	want := []string{"proc /proc proc", "sysfs /sys sysfs", "devtmpfs /dev devtmpfs", "devpts /dev/pts devpts",
		"tmpfs /dev/shm tmpfs", "tmpfs /run tmpfs", "cgroup2 /sys/fs/cgroup cgroup2"}
	if !reflect.DeepEqual(m.mounts, want) {
		t.Errorf("mounted %q, want %q", m.mounts, want)
	}
	for _, d := range runDirs {
		if fi, err := os.Stat(filepath.Join(m.root, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s not created: %v", d, err)
		}
	}
	if _, err := os.Stat(m.opts.Resolv); err != nil {
		t.Errorf("%s not created: %v", contract.Resolv, err)
	}
	if got, want := m.read(m.opts.Milestones), "init 1.25\nstate 2.5\nsystem 12.50\n"; got != want {
		t.Errorf("milestones %q, want %q", got, want)
	}
	if len(st.milestones) != 3 {
		t.Errorf("milestones %v, want the earlier stages' and system", st.milestones)
	}
}

func TestMountSystemFails(t *testing.T) {
	m := newMachine(t)
	m.opts.mount = func(_, target, _ string, _ uintptr, _ string) error {
		if strings.HasSuffix(target, "/dev/pts") {
			return errors.New("no such device")
		}
		return nil
	}
	err := mountSystem(context.Background(), m.state())
	if want := "mounting /dev/pts: no such device"; err == nil || err.Error() != want {
		t.Errorf("mountSystem: %v, want %s", err, want)
	}
}

func TestSetupHost(t *testing.T) {
	tests := []struct {
		name, etcHostname, config string
		resolv                    func(m *machine)
		wantHostname, wantResolv  string // the link's target, or the file's content
	}{
		{"the default name; resolv.conf linked", "", "", nil, "ros", "-> " + contract.Resolv},
		{"/etc/hostname; a stale link replaced", "box\n", "", func(m *machine) {
			must(m.t, os.Symlink("/elsewhere", m.opts.ResolvConf))
		}, "box", "-> " + contract.Resolv},
		{"the config's name; the user's own resolv.conf kept", "box\n", "hostname: web1\n", func(m *machine) {
			m.write(m.opts.ResolvConf, "nameserver 9.9.9.9\n")
		}, "web1", "nameserver 9.9.9.9\n"},
		{"an empty resolv.conf replaced", "", "", func(m *machine) { m.write(m.opts.ResolvConf, "") },
			"ros", "-> " + contract.Resolv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			if tt.etcHostname != "" {
				m.write(m.opts.Hostname, tt.etcHostname)
			}
			if tt.resolv != nil {
				tt.resolv(m)
			}
			m.write(m.opts.StateConfig, tt.config)
			st := m.boot("reading the cloud-config")
			must(t, setupHost(context.Background(), st))
			must(t, setupHost(context.Background(), st)) // again: nothing changes
			if m.hostname != tt.wantHostname {
				t.Errorf("hostname %q, want %q", m.hostname, tt.wantHostname)
			}
			if got := m.runner.commands(); !reflect.DeepEqual(got, []string{"ip link set lo up", "ip link set lo up"}) {
				t.Errorf("ran %q, want lo brought up", got)
			}
			if got := resolvConf(t, m); got != tt.wantResolv {
				t.Errorf("/etc/resolv.conf %q, want %q", got, tt.wantResolv)
			}
		})
	}
}

func resolvConf(t *testing.T, m *machine) string {
	t.Helper()
	if target, err := os.Readlink(m.opts.ResolvConf); err == nil {
		return "-> " + target
	}
	return m.read(m.opts.ResolvConf)
}

func TestSetupHostFails(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*machine)
		wantErr string
	}{
		{"sethostname", func(m *machine) {
			m.opts.sethostname = func([]byte) error { return errors.New("operation not permitted") }
		}, "setting the hostname: operation not permitted"},
		{"lo", func(m *machine) { m.runner.fail["ip"] = errors.New("exit status 2") }, "bringing up lo: exit status 2"},
		{"resolv.conf", func(m *machine) { m.opts.ResolvConf = m.root + "/missing/resolv.conf" }, "linking /etc/resolv.conf: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			tt.setup(m)
			err := setupHost(context.Background(), m.state())
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("setupHost: %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadModules(t *testing.T) {
	m := newMachine(t)
	m.write(m.opts.ModulesFile, "virtio_net overlay\nvirtio_blk\ni6300esb\n")
	st := m.state()
	must(t, loadModules(context.Background(), st))
	must(t, waitModules(context.Background(), st))
	rel, err := kmod.Release()
	must(t, err)
	dir := "/usr/lib/modules/" + rel + ": "
	// System Docker's and the watchdog's first, the rest in the background.
	if want := []string{dir + "overlay i6300esb", dir + "virtio_net virtio_blk"}; !reflect.DeepEqual(m.kmods, want) {
		t.Errorf("loaded %q, want %q", m.kmods, want)
	}
	must(t, os.Remove(m.opts.ModulesFile))
	if err := loadModules(context.Background(), st); err == nil || !strings.HasPrefix(err.Error(), "reading the module list: ") {
		t.Errorf("loadModules without a list: %v", err)
	}
}

// A module that fails to load in the background fails the boot at the step
// that waits for it, before the services that need it start.
func TestWaitModulesFails(t *testing.T) {
	m := newMachine(t)
	m.opts.loadKmods = func(string, ...string) error { return errors.New("loading xt_tcpudp: no such module") }
	st := m.state()
	must(t, loadModules(context.Background(), st))
	if err := waitModules(context.Background(), st); err == nil || err.Error() != "loading xt_tcpudp: no such module" {
		t.Errorf("waitModules: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st.modules = &background{done: make(chan struct{})}
	if err := waitModules(ctx, st); !errors.Is(err, context.Canceled) {
		t.Errorf("waitModules after the gate gave up: %v", err)
	}
}

func TestSplitModules(t *testing.T) {
	first, rest := splitModules([]string{"a", "i6300esb", "b", "overlay"}, earlyModules)
	if !reflect.DeepEqual(first, []string{"overlay", "i6300esb"}) || !reflect.DeepEqual(rest, []string{"a", "b"}) {
		t.Errorf("splitModules = %q, %q", first, rest)
	}
}

func TestStartWatchdogWithout(t *testing.T) {
	m := newMachine(t)
	must(t, startWatchdog(context.Background(), m.state()))
	if !strings.Contains(m.log.String(), "no hardware watchdog") {
		t.Errorf("log:\n%s\nwant no hardware watchdog", m.log)
	}
}

// bootcmd runs with every module of the image loaded: it waits for the
// background load, and reports a failed one.
func TestBootcmdWaitsForModules(t *testing.T) {
	m := newMachine(t)
	st := m.state()
	st.cfg.Bootcmd = []config.RunCommand{{"true"}}
	bg := &background{done: make(chan struct{})}
	st.modules = bg
	go func() {
		time.Sleep(50 * time.Millisecond)
		bg.err = errors.New("loading xt_tcpudp: no such module")
		close(bg.done)
	}()
	must(t, runBootcmd(context.Background(), st))
	if !strings.Contains(m.log.String(), "bootcmd: loading xt_tcpudp: no such module") {
		t.Errorf("log:\n%s\nwant the module failure before bootcmd", m.log)
	}
}

// The cloud-config's sysctls wait for the background modules too (keys
// such as net.bridge.* exist once br_netfilter is loaded).
func TestSysctlWaitsForModules(t *testing.T) {
	m := newMachine(t)
	st := m.state()
	st.cfg.Ros.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	bg := &background{done: make(chan struct{}), err: errors.New("loading br_netfilter: no such module")}
	close(bg.done)
	st.modules = bg
	must(t, applyConfig(context.Background(), st))
	if !strings.Contains(m.log.String(), "cloud-config: sysctl: loading br_netfilter: no such module") {
		t.Errorf("log:\n%s\nwant the module failure before the sysctls", m.log)
	}
}
