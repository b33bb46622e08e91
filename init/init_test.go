package rosinit

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/slot"
)

// runMachine runs PID 1 on m until it reboots, with sig as the signal it
// gets once it is up (nil: none comes).
func runMachine(t *testing.T, m *machine, sig os.Signal) {
	t.Helper()
	sigs := make(chan os.Signal, 1)
	if sig != nil {
		sigs <- sig
	}
	done := make(chan struct{})
	go func() {
		run(m.opts, steps, sigs)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("PID 1 did not shut down\nlog:\n%s", m.log)
	}
}

func readBootJSON(t *testing.T, m *machine) (BootReport, bool) {
	t.Helper()
	b, err := os.ReadFile(m.opts.BootJSON)
	if os.IsNotExist(err) {
		return BootReport{}, false
	}
	must(t, err)
	var r BootReport
	must(t, json.Unmarshal(b, &r))
	return r, true
}

func TestRunHealthy(t *testing.T) {
	m := newMachine(t)
	m.write(m.opts.StateConfig, "hostname: web1\nruncmd: [[touch, /run/ran]]\n")
	m.runner.done = make(chan struct{}, 16)
	runMachine(t, m, unix.SIGUSR2)

	want := []assessCall{{slot.B, buildinfo.Version, true, ""}}
	if !reflect.DeepEqual(m.assessed, want) {
		t.Errorf("assessment got %+v, want %+v", m.assessed, want)
	}
	levels := [][]string{{"setup"}, {"network"}, {"console", "docker"}} // the fake machine's services.yaml
	if want := []string{"setup", "network", "console", "docker"}; !startedInOrder(levels, m.sys.started, want) {
		t.Errorf("services started %v, want %v", m.sys.started, want)
	}
	if want := []string{"docker", "console", "network"}; !reflect.DeepEqual(m.sys.stopped, want) {
		t.Errorf("services stopped %v, want %v", m.sys.stopped, want)
	}
	if len(m.daemons) != 1 || m.daemons[0].stops != 1 {
		t.Errorf("System Docker started %d times, stopped %v, want once, once", len(m.daemons), m.daemons)
	}
	if want := []int{unix.LINUX_REBOOT_CMD_POWER_OFF}; !reflect.DeepEqual(m.reboots, want) {
		t.Errorf("reboot(2) got %v, want %v (power off on SIGUSR2)", m.reboots, want)
	}
	if last := m.mounts[len(m.mounts)-1]; last != "/state" {
		t.Errorf("last mount %q, want STATE remounted read-only", last)
	}
	if m.hostname != "web1" {
		t.Errorf("hostname %q, want web1", m.hostname)
	}
	if want := []string{"busybox:latest"}; !reflect.DeepEqual(m.user.loaded, want) {
		t.Errorf("User Docker loaded %v, want %v", m.user.loaded, want)
	}
	waitCommand(t, m, "touch /run/ran")
	checkHealthyReport(t, m)
}

func checkHealthyReport(t *testing.T, m *machine) {
	t.Helper()
	r, ok := readBootJSON(t, m)
	if !ok {
		t.Fatal("no boot.json")
	}
	var names []string
	for _, ms := range r.Milestones {
		names = append(names, ms.Name)
	}
	want := BootReport{Version: buildinfo.Version, Slot: slot.B, Healthy: true, State: "ok", MemUsedMB: 256,
		Services: map[string]string{"network": "running", "docker": "running", "console": "running"}}
	var ran []string
	for _, s := range r.Steps {
		if s.End < s.Start || s.Err != "" {
			t.Errorf("boot.json step %+v: want it ended, without error", s)
		}
		ran = append(ran, s.Name)
	}
	r.Milestones, r.Steps = nil, nil
	if want := stepNames(steps); !reflect.DeepEqual(ran, want) {
		t.Errorf("boot.json steps %v, want every step of the boot: %v", ran, want)
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("boot.json = %+v, want %+v", r, want)
	}
	if want := []string{"system", "system-docker", "services", "user-docker", "healthy"}; !reflect.DeepEqual(names, want) {
		t.Errorf("milestones %v, want %v", names, want)
	}
	if got := m.read(m.opts.Milestones); !strings.Contains(got, "healthy 12.50\n") {
		t.Errorf("milestones file %q lacks the healthy milestone", got)
	}
}

func stepNames(table []step) []string {
	var names []string
	for _, s := range table {
		names = append(names, s.name)
	}
	return names
}

// waitCommand waits for the runner to have run cmd (runcmd runs in the
// background).
func waitCommand(t *testing.T, m *machine, cmd string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		for _, c := range m.runner.commands() {
			if c == cmd {
				return
			}
		}
		select {
		case <-m.runner.done:
		case <-deadline:
			t.Fatalf("%q was not run; ran %q", cmd, m.runner.commands())
		}
	}
}

// TestRunHandsOff checks what the machine does with the verdict of the
// health gate and of boot assessment.
func TestRunHandsOff(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(*machine)
		sig         os.Signal
		wantHealthy bool
		wantReason  string // contained in the reason passed on
		wantReboots []int
		wantReport  bool
	}{
		{"healthy, kept: reboots on SIGTERM", func(*machine) {}, unix.SIGTERM,
			true, "", []int{unix.LINUX_REBOOT_CMD_RESTART}, true},
		{"healthy, halts on SIGUSR1", func(*machine) {}, unix.SIGUSR1,
			true, "", []int{unix.LINUX_REBOOT_CMD_HALT}, true},
		{"assessment gives the slot up: reboots at once, no boot.json", func(m *machine) { m.assessReboot = true }, nil,
			true, "", []int{unix.LINUX_REBOOT_CMD_RESTART}, false},
		{"assessment fails: the slot stays up", func(m *machine) { m.assessErr = errors.New("mounting the ESP: no such device") },
			unix.SIGTERM, true, "", []int{unix.LINUX_REBOOT_CMD_RESTART}, true},
		{"assessment marked the slot bad, then failed to save the record: still reboots at once", func(m *machine) {
			m.assessReboot, m.assessErr = true, errors.New("saving the upgrade record: no space left on device")
		}, nil, true, "", []int{unix.LINUX_REBOOT_CMD_RESTART}, false},
		{"User Docker does not answer: the reason is passed", func(m *machine) {
			m.userErr = errors.New("API not ready after 2m0s")
			m.assessReboot = true
		}, nil, false, "waiting for User Docker: User Docker: API not ready after 2m0s", []int{unix.LINUX_REBOOT_CMD_RESTART}, false},
		{"a core service keeps restarting", func(m *machine) { m.sys.crashing["console"] = true }, unix.SIGTERM,
			false, "checking health: service console keeps restarting", []int{unix.LINUX_REBOOT_CMD_RESTART}, true},
		{"the image's services file is unreadable", func(m *machine) { must(m.t, os.Remove(m.opts.ServicesFile)) }, unix.SIGTERM,
			false, "reading the cloud-config: reading the services of this image", []int{unix.LINUX_REBOOT_CMD_RESTART}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			tt.setup(m)
			runMachine(t, m, tt.sig)
			if len(m.assessed) != 1 {
				t.Fatalf("assessment called %d times, want once", len(m.assessed))
			}
			a := m.assessed[0]
			if a.healthy != tt.wantHealthy || !strings.Contains(a.reason, tt.wantReason) || (tt.wantReason == "") != (a.reason == "") {
				t.Errorf("assessment got healthy=%v reason=%q, want healthy=%v reason containing %q", a.healthy, a.reason, tt.wantHealthy, tt.wantReason)
			}
			if !reflect.DeepEqual(m.reboots, tt.wantReboots) {
				t.Errorf("reboot(2) got %#x, want %#x", m.reboots, tt.wantReboots)
			}
			r, ok := readBootJSON(t, m)
			if ok != tt.wantReport {
				t.Fatalf("boot.json written: %v, want %v", ok, tt.wantReport)
			}
			if ok && r.Healthy != tt.wantHealthy {
				t.Errorf("boot.json healthy = %v, want %v", r.Healthy, tt.wantHealthy)
			}
		})
	}
}

func TestBootGateTimeout(t *testing.T) {
	m := newMachine(t)
	m.opts.gateTimeout = 20 * time.Millisecond
	st := m.state()
	ran := false
	boot(st, []step{
		{"hanging", func(ctx context.Context, _ *state) error { <-ctx.Done(); return ctx.Err() }},
		{"never reached", func(context.Context, *state) error { ran = true; return nil }},
	})
	if st.failed != "health gate" || st.reason != "not healthy 20ms after init started" {
		t.Errorf("failed=%q reason=%q, want the health gate's timeout", st.failed, st.reason)
	}
	if ran {
		t.Error("a step ran after the gate's timeout")
	}
	if m.assessReboot = true; !assess(st) || m.assessed[0].healthy {
		t.Errorf("assessment got %+v, want unhealthy and a reboot", m.assessed)
	}
}

func TestReadCmdline(t *testing.T) {
	m := newMachine(t)
	st := m.state()
	must(t, readCmdline(context.Background(), st))
	if st.cmdline.Slot != slot.B || st.cmdline.Root != "PARTLABEL=ros-root-b" {
		t.Errorf("cmdline = %+v, want slot b on PARTLABEL=ros-root-b", st.cmdline)
	}
	must(t, os.Remove(m.root+"/proc/cmdline"))
	if err := readCmdline(context.Background(), st); err == nil {
		t.Error("readCmdline without /proc/cmdline: no error")
	}
}

type deadDaemon struct{}

func (deadDaemon) Run(context.Context, time.Duration) (engine, error) {
	return nil, errors.New("dockerd exited before its API answered")
}
func (deadDaemon) Stop(time.Duration) {}

// A machine whose console service is not running once the boot is over
// still gets a login: PID 1 runs the console's entrypoint itself.
func TestConsoleWithoutItsService(t *testing.T) {
	const logins = contract.RosBinary + " console"
	tests := []struct {
		name  string
		setup func(*machine)
		want  bool
	}{
		{"healthy: the console service runs the logins", func(*machine) {}, false},
		{"System Docker does not start", func(m *machine) {
			m.opts.systemDocker = func([]string, []string, func(string, ...any)) daemon { return deadDaemon{} }
		}, true},
		{"the console's container ends at once (a full STATE, say)", func(m *machine) { m.sys.exited["console"] = true }, true},
		{"User Docker does not answer: the console still runs", func(m *machine) { m.userErr = errors.New("API not ready") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			tt.setup(m)
			runMachine(t, m, unix.SIGTERM)
			if got := slices.Contains(m.runner.commands(), logins); got != tt.want {
				t.Errorf("PID 1 ran %q: %v, want %v; ran %q\nlog:\n%s", logins, got, tt.want, m.runner.commands(), m.log)
			}
		})
	}
}
