package svcrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ros-os/ros/internal/services"
)

var _ Engine = (*client.Client)(nil)

// fakeEngine holds at most one container and records the calls made.
type fakeEngine struct {
	labels     map[string]string // the container's, nil if there is none
	running    bool
	images     map[string]bool
	pullable   bool
	inspectErr error
	calls      []string
}

func (e *fakeEngine) ContainerInspect(_ context.Context, name string) (container.InspectResponse, error) {
	e.calls = append(e.calls, "inspect")
	if e.inspectErr != nil {
		return container.InspectResponse{}, e.inspectErr
	}
	if e.labels == nil {
		return container.InspectResponse{}, errdefs.NotFound(fmt.Errorf("No such container: %s", name))
	}
	return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{State: &container.State{Running: e.running}},
		Config: &container.Config{Labels: e.labels}}, nil
}

func (e *fakeEngine) ContainerRemove(context.Context, string, container.RemoveOptions) error {
	e.calls = append(e.calls, "remove")
	e.labels = nil
	return nil
}

func (e *fakeEngine) ContainerCreate(_ context.Context, cfg *container.Config, _ *container.HostConfig,
	_ *network.NetworkingConfig, _ *ocispec.Platform, _ string,
) (container.CreateResponse, error) {
	e.calls = append(e.calls, "create")
	if !e.images[cfg.Image] {
		return container.CreateResponse{}, errdefs.NotFound(fmt.Errorf("No such image: %s", cfg.Image))
	}
	e.labels = cfg.Labels
	return container.CreateResponse{}, nil
}

func (e *fakeEngine) ContainerStart(context.Context, string, container.StartOptions) error {
	e.calls = append(e.calls, "start")
	e.running = true
	return nil
}

func (e *fakeEngine) ImagePull(_ context.Context, ref string, _ image.PullOptions) (io.ReadCloser, error) {
	e.calls = append(e.calls, "pull")
	if !e.pullable {
		return nil, errors.New("pull access denied")
	}
	e.images[ref] = true
	return io.NopCloser(strings.NewReader("{}")), nil
}

func TestEnsure(t *testing.T) {
	svc := services.Service{Image: "ros/ntp:${ROS_VERSION}"}
	cfg, _ := svc.ContainerSpec("ntp", "1.0")
	current := cfg.Labels
	older := map[string]string{services.LabelSpec: "older"}
	tests := []struct {
		name      string
		engine    fakeEngine
		wantCalls []string
		wantErr   string
	}{
		{"none yet: created and started", fakeEngine{images: map[string]bool{"ros/ntp:1.0": true}},
			[]string{"inspect", "create", "start"}, ""},
		{"running, same definition: left alone", fakeEngine{labels: current, running: true},
			[]string{"inspect"}, ""},
		{"stopped, same definition: started", fakeEngine{labels: current},
			[]string{"inspect", "start"}, ""},
		{"an older definition: recreated", fakeEngine{labels: older, running: true, images: map[string]bool{"ros/ntp:1.0": true}},
			[]string{"inspect", "remove", "create", "start"}, ""},
		{"no image: pulled", fakeEngine{images: map[string]bool{}, pullable: true},
			[]string{"inspect", "create", "pull", "create", "start"}, ""},
		{"no image and none to pull", fakeEngine{images: map[string]bool{}},
			[]string{"inspect", "create", "pull"}, "creating service ntp: pulling ros/ntp:1.0: pull access denied"},
		{"System Docker fails", fakeEngine{inspectErr: errors.New("EOF")},
			[]string{"inspect"}, "inspecting service ntp: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.engine
			err := Ensure(context.Background(), &e, "ntp", svc, "1.0")
			if fmt.Sprint(err) != fmt.Sprint(errOrNil(tt.wantErr)) {
				t.Errorf("Ensure: %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(e.calls, tt.wantCalls) {
				t.Errorf("calls %v, want %v", e.calls, tt.wantCalls)
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

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "services.yaml"), filepath.Join(dir, "catalog.yaml")
	if err := os.WriteFile(a, []byte("ntp: {image: ros/ntp}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFiles(a, b); err == nil || !strings.HasPrefix(err.Error(), "reading the services of this image: ") {
		t.Errorf("ReadFiles with a missing file: %v", err)
	}
	if err := os.WriteFile(b, []byte("extra: {image: ros/extra}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := ReadFiles(a, b)
	if err != nil || len(files) != 2 || files[0]["ntp"].Image != "ros/ntp" || files[1]["extra"].Image != "ros/extra" {
		t.Errorf("ReadFiles = %v, %v", files, err)
	}
}
