package rosinit

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestStartSystemDocker checks System Docker is started with the
// cloud-config's settings, and without them if it does not come up.
func TestStartSystemDocker(t *testing.T) {
	tests := []struct {
		name      string
		config    string
		bad       []string
		wantExtra [][]string // the arguments after systemDockerArgs, per start
		wantStops []int
		wantErr   bool
	}{
		{"no settings", "", nil, [][]string{{}}, []int{0}, false},
		{"the config's settings", "ros: {system_docker: {args: [--debug]}}\n", nil, [][]string{{"--debug"}}, []int{0}, false},
		{"bad settings: stopped, then started without", "ros: {system_docker: {args: [--bogus], environment: [A=1]}}\n",
			[]string{"--bogus"}, [][]string{{"--bogus"}, {}}, []int{1, 0}, false},
		{"it does not start without settings: fatal", "", []string{"--group=docker"}, [][]string{{}}, []int{0}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			m.badArgs = tt.bad
			m.write(m.opts.StateConfig, tt.config)
			st := m.boot("running bootcmd")
			err := startSystemDocker(context.Background(), st)
			if (err != nil) != tt.wantErr {
				t.Fatalf("startSystemDocker: %v, want error %v", err, tt.wantErr)
			}
			var extra [][]string
			var stops []int
			for _, d := range m.daemons {
				if !slices.Equal(d.args[:len(systemDockerArgs)], systemDockerArgs) {
					t.Errorf("System Docker args %v do not start with %v", d.args, systemDockerArgs)
				}
				extra = append(extra, d.args[len(systemDockerArgs):])
				stops = append(stops, d.stops)
			}
			if !reflect.DeepEqual(extra, tt.wantExtra) || !reflect.DeepEqual(stops, tt.wantStops) {
				t.Errorf("started with %q, stopped %v; want %q, %v", extra, stops, tt.wantExtra, tt.wantStops)
			}
			if (st.sys == nil) != tt.wantErr {
				t.Errorf("System Docker client set: %v, want %v", st.sys != nil, !tt.wantErr)
			}
		})
	}
}

// TestLoadImages checks an image archive is loaded only when System Docker
// lacks its image.
func TestLoadImages(t *testing.T) {
	m := newMachine(t)
	st := m.boot("starting System Docker")
	m.sys.images[m.image("network")] = true
	must(t, loadImages(context.Background(), st))
	want := []string{m.image("console"), m.image("docker"), m.image("extra"), m.image("setup")}
	if !reflect.DeepEqual(m.sys.loaded, want) {
		t.Errorf("loaded %v, want %v", m.sys.loaded, want)
	}
	m.sys.loaded = nil
	must(t, loadImages(context.Background(), st))
	if len(m.sys.loaded) != 0 {
		t.Errorf("second boot loaded %v again", m.sys.loaded)
	}
}

func TestLoadImagesFails(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(m *machine)
		wantErr string
	}{
		{"no layout", func(m *machine) {
			must(m.t, os.RemoveAll(m.opts.ImagesDir))
		}, "no such file or directory"},
		{"a corrupt index", func(m *machine) {
			m.write(filepath.Join(m.opts.ImagesDir, "index.json"), "{")
		}, "unexpected end of JSON input"},
		{"an image without a name", func(m *machine) {
			m.writeImages(m.opts.ImagesDir, "")
		}, "has no name"},
		{"a missing blob", func(m *machine) {
			blobs, _ := filepath.Glob(filepath.Join(m.opts.ImagesDir, "blobs/sha256/*"))
			for _, b := range blobs {
				must(m.t, os.Remove(b))
			}
		}, "no such file or directory"},
		{"a load that loads nothing", func(m *machine) {
			m.sys.brokenLoad = true
		}, "does not have it after docker load"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			st := m.boot("starting System Docker")
			tt.breakIt(m)
			err := loadImages(context.Background(), st)
			if err == nil || !strings.Contains(err.Error(), m.opts.ImagesDir) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("loadImages: %v, want %q naming %s", err, tt.wantErr, m.opts.ImagesDir)
			}
		})
	}
}
