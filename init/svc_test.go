package rosinit

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/services"
)

// TestStartServices checks which service containers the machine starts,
// removes and waits for.
func TestStartServices(t *testing.T) {
	tests := []struct {
		name        string
		config      string
		setup       func(*machine)
		wantStarted []string
		wantRunning []string // the core services the health gate covers
		wantImages  map[string]string
		wantRemoved []string
		wantWaited  []string
		wantErrs    int
		wantLog     string
	}{
		{name: "the built-ins, level by level, the one-shot waited for",
			wantStarted: []string{"setup", "network", "console", "docker"},
			wantRunning: []string{"network", "console", "docker"}, wantWaited: []string{"setup"}},
		{name: "a built-in replaced by a bad definition is started as built",
			config:      "ros: {services: {console: {image: ros/missing:1, depends_on: [network]}}}\n",
			wantStarted: []string{"setup", "network", "console", "docker"},
			wantRunning: []string{"network", "console", "docker"}, wantWaited: []string{"setup"},
			wantImages: map[string]string{"console": "ros/console"}, wantLog: "starting the built-in console instead"},
		{name: "a good replacement of a built-in is started as defined",
			config:      "ros: {services: {console: {image: other/console:2, depends_on: [network]}}}\n",
			setup:       func(m *machine) { m.sys.registry["other/console:2"] = true },
			wantStarted: []string{"setup", "network", "console", "docker"},
			wantRunning: []string{"network", "console", "docker"}, wantWaited: []string{"setup"},
			wantImages: map[string]string{"console": "other/console:2"}},
		{name: "a catalog service that does not start: logged, the gate does not cover it",
			config:      "ros: {services_include: {extra: true}}\n",
			setup:       func(m *machine) { m.sys.images[m.image("extra")] = false },
			wantStarted: []string{"setup", "network", "console", "docker"},
			wantRunning: []string{"network", "console", "docker"}, wantWaited: []string{"setup"},
			wantLog: "creating service extra: pulling ros/extra:"},
		{name: "a core service that does not start counts for the gate",
			setup:       func(m *machine) { m.sys.images[m.image("console")] = false },
			wantStarted: []string{"setup", "network", "docker"},
			wantRunning: []string{"network", "docker"}, wantWaited: []string{"setup"}, wantErrs: 1},
		{name: "a one-shot that fails: logged, the next level starts",
			setup:       func(m *machine) { m.sys.exit["setup"] = 3 },
			wantStarted: []string{"setup", "network", "console", "docker"},
			wantRunning: []string{"network", "console", "docker"}, wantWaited: []string{"setup"},
			wantLog: "one-shot service setup exited with status 3"},
		{name: "stale containers: another version's and an undefined service's",
			setup: func(m *machine) {
				m.sys.has("network", map[string]string{services.LabelService: "network", services.LabelVersion: "0.0.1"})
				m.sys.has("gone", map[string]string{services.LabelService: "gone", services.LabelVersion: buildinfo.Version})
				m.sys.has("mine", map[string]string{"owner": "user"})
			},
			wantStarted: []string{"setup", "network", "console", "docker"},
			wantRunning: []string{"network", "console", "docker"}, wantWaited: []string{"setup"},
			wantRemoved: []string{"gone", "network"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			m.write(m.opts.StateConfig, tt.config)
			st := m.boot("loading system images")
			if tt.setup != nil {
				tt.setup(m)
			}
			must(t, startServices(context.Background(), st))
			checkStarted(t, m, st, tt.wantStarted, tt.wantRunning)
			slices.Sort(m.sys.removed)
			if !reflect.DeepEqual(m.sys.removed, tt.wantRemoved) {
				t.Errorf("removed %v, want %v", m.sys.removed, tt.wantRemoved)
			}
			if !reflect.DeepEqual(m.sys.waited, tt.wantWaited) {
				t.Errorf("waited for %v, want %v", m.sys.waited, tt.wantWaited)
			}
			if len(st.serviceErrs) != tt.wantErrs {
				t.Errorf("core services failed: %v, want %d", st.serviceErrs, tt.wantErrs)
			}
			for name, img := range tt.wantImages {
				if got := m.sys.containers[name].image; !strings.HasPrefix(got, img) {
					t.Errorf("%s runs %s, want %s", name, got, img)
				}
			}
			if !strings.Contains(m.log.String(), tt.wantLog) {
				t.Errorf("log:\n%s\nwant %q", m.log, tt.wantLog)
			}
		})
	}
}

func checkStarted(t *testing.T, m *machine, st *state, started, running []string) {
	t.Helper()
	levels, err := services.Order(st.serviceFile)
	must(t, err)
	if !startedInOrder(levels, m.sys.started, started) {
		t.Errorf("started %v, want %v (in any order within a level)\nlog:\n%s", m.sys.started, started, m.log)
	}
	if !reflect.DeepEqual(st.services, running) {
		t.Errorf("core services %v, want %v", st.services, running)
	}
}

func TestStartServicesFails(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*machine, *state)
		wantErr string
	}{
		{"System Docker cannot list containers", func(m *machine, _ *state) { m.sys.listErr = errors.New("EOF") },
			"listing containers: EOF"},
		{"a dependency cycle", func(_ *machine, st *state) {
			st.serviceFile = services.File{"a": {Image: "a", DependsOn: []string{"b"}}, "b": {Image: "b", DependsOn: []string{"a"}}}
		}, "cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			st := m.boot("loading system images")
			tt.setup(m, st)
			if err := startServices(context.Background(), st); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("startServices: %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestWaitOneshotsError(t *testing.T) {
	e := newFakeEngine()
	file := services.File{"gone": {Image: "x", Oneshot: true}}
	err := waitOneshots(context.Background(), e, file, []string{"gone"})
	if err == nil || !strings.HasPrefix(err.Error(), "waiting for service gone: ") {
		t.Errorf("waitOneshots for a missing container: %v", err)
	}
}

// startedInOrder reports whether got holds the services of want, each
// started after those of the levels before its own (services of one level
// start together, in any order).
func startedInOrder(levels [][]string, got, want []string) bool {
	levelOf := map[string]int{}
	for i, l := range levels {
		for _, n := range l {
			levelOf[n] = i
		}
	}
	for i := 1; i < len(got); i++ {
		if levelOf[got[i]] < levelOf[got[i-1]] {
			return false
		}
	}
	a, b := slices.Clone(got), slices.Clone(want)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
