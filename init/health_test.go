package rosinit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/slot"
)

// TestCheckHealth is the health gate: the verdict for each state of System
// Docker and the services.
func TestCheckHealth(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*machine, *state)
		wantErr string // "" means healthy
	}{
		{"all fine", func(*machine, *state) {}, ""},
		{"System Docker does not answer", func(m *machine, _ *state) { m.sys.pingErr = errors.New("connection refused") },
			"System Docker: connection refused"},
		{"a core service failed to start", func(_ *machine, st *state) {
			st.serviceErrs = []error{errors.New("creating service console: no such image")}
		}, "1 services failed to start: creating service console: no such image"},
		{"a service is not running", func(m *machine, _ *state) { must(m.t, m.sys.ContainerStop(context.Background(), "console", stopNow)) },
			"service console is exited"},
		{"a service is gone", func(m *machine, _ *state) { delete(m.sys.containers, "network") },
			"service network: No such container: network"},
		{"a service keeps restarting", func(m *machine, _ *state) { m.sys.crashing["docker"] = true },
			"service docker keeps restarting"},
		{"a configured interface has no address", func(_ *machine, st *state) {
			st.cfg.Ros.Network.Interfaces = map[string]config.Interface{"eth0": {DHCP: true}}
		}, "network: no address on eth0 after 50ms (ros.network.interfaces)"},
		{"a configured interface has only a link-local address", func(m *machine, st *state) {
			st.cfg.Ros.Network.Interfaces = map[string]config.Interface{"eth0": {DHCP: true}}
			m.addrs = map[string][]net.Addr{"eth0": {&net.IPNet{IP: net.ParseIP("fe80::1"), Mask: net.CIDRMask(64, 128)}}}
		}, "network: no address on eth0 after 50ms (ros.network.interfaces)"},
		{"a configured interface has an address", func(m *machine, st *state) {
			st.cfg.Ros.Network.Interfaces = map[string]config.Interface{"eth0": {DHCP: true}}
			m.addrs = map[string][]net.Addr{"eth0": {&net.IPNet{IP: net.ParseIP("10.0.2.15"), Mask: net.CIDRMask(24, 32)}}}
		}, ""},
		{"ssh keys configured, sshd answers", func(m *machine, st *state) {
			st.cfg.SSHAuthorizedKeys, m.sshd = []string{"ssh-ed25519 AAAA me"}, true
		}, ""},
		{"ssh keys configured, no sshd", func(_ *machine, st *state) {
			st.cfg.SSHAuthorizedKeys = []string{"ssh-ed25519 AAAA me"}
		}, "sshd: no answer on port 22 after 50ms: connection refused"},
		{"STATE is the tmpfs stand-in", func(m *machine, _ *state) {
			m.write(m.opts.StateDegraded, "STATE is a tmpfs: no ros-state partition\nrepair: reinstall")
		}, "STATE is not mounted (STATE is a tmpfs: no ros-state partition)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			st := m.boot("waiting for User Docker")
			tt.setup(m, st)
			err := checkHealth(context.Background(), st)
			if fmt.Sprint(err) != fmt.Sprint(errOrNil(tt.wantErr)) {
				t.Errorf("checkHealth: %v, want %v", err, errOrNil(tt.wantErr))
			}
			healthy := st.milestones[len(st.milestones)-1].Name == "healthy"
			if healthy != (tt.wantErr == "") {
				t.Errorf("healthy milestone: %v, want %v", healthy, tt.wantErr == "")
			}
		})
	}
}

func errOrNil(msg string) error {
	if msg == "" {
		return nil
	}
	return errors.New(msg)
}

func TestWriteBootJSON(t *testing.T) {
	m := newMachine(t)
	st := m.boot("starting system services")
	st.failed, st.reason = "waiting for User Docker", "waiting for User Docker: User Docker: dockerd exited"
	m.write(m.opts.StateDegraded, "STATE is a tmpfs: no ros-state partition")
	must(t, m.sys.ContainerStop(context.Background(), "docker", stopNow))
	writeBootJSON(st)
	r, ok := readBootJSON(t, m)
	if !ok {
		t.Fatal("no boot.json")
	}
	r.Milestones = nil
	want := BootReport{Version: buildinfo.Version, Slot: slot.B, Healthy: false, Failed: "waiting for User Docker",
		State: "STATE is a tmpfs: no ros-state partition", MemUsedMB: 256,
		Services: map[string]string{"network": "running", "docker": "exited", "console": "running"}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("boot.json = %+v, want %+v", r, want)
	}
	if strings.Contains(m.log.String(), " is up on slot ") {
		t.Error("an unhealthy boot says it is up")
	}
}

func TestWriteBootJSONFails(t *testing.T) {
	m := newMachine(t)
	st := m.state()
	st.opts.BootJSON = m.root + "/missing/boot.json"
	writeBootJSON(st)
	if !strings.Contains(m.log.String(), "writing "+st.opts.BootJSON) {
		t.Errorf("log:\n%s\nwant the failure to write boot.json", m.log)
	}
}

// TestWaitUserDockerServiceDies checks the wait for User Docker ends as
// soon as its service stops running, not at the API's timeout.
func TestWaitUserDockerServiceDies(t *testing.T) {
	m := newMachine(t)
	m.opts.userDocker = func(ctx context.Context, dead <-chan struct{}) (engine, error) {
		select {
		case <-dead:
			return nil, errors.New("dockerd exited before its API answered")
		case <-time.After(10 * time.Second):
			return nil, errors.New("not told the service died")
		}
	}
	st := m.boot("starting system services")
	m.sys.crashing["docker"] = true
	err := waitUserDocker(context.Background(), st)
	if want := "User Docker: dockerd exited before its API answered"; fmt.Sprint(err) != want {
		t.Errorf("waitUserDocker: %v, want %s", err, want)
	}
}
