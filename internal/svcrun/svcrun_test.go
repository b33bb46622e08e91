package svcrun

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/registry"
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
	auth       string // the RegistryAuth of the last pull
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

func (e *fakeEngine) ImagePull(_ context.Context, ref string, opts image.PullOptions) (io.ReadCloser, error) {
	e.calls = append(e.calls, "pull")
	e.auth = opts.RegistryAuth
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
			err := Ensure(context.Background(), &e, "ntp", svc, "1.0", "")
			if fmt.Sprint(err) != fmt.Sprint(errOrNil(tt.wantErr)) {
				t.Errorf("Ensure: %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(e.calls, tt.wantCalls) {
				t.Errorf("calls %v, want %v", e.calls, tt.wantCalls)
			}
		})
	}
}

// TestPullCredentials: a service image is pulled with the credentials of
// ros.registry_auths (the file PID 1 writes) for its registry, and none
// for another.
func TestPullCredentials(t *testing.T) {
	dir := t.TempDir()
	authFile := filepath.Join(dir, "registry-auth.json")
	cf := configfile.New(authFile)
	cf.AuthConfigs["registry.example:5000"] = types.AuthConfig{Username: "fleet", Password: "s3cret"}
	cf.AuthConfigs["docker.io"] = types.AuthConfig{Username: "hub", Password: "hubpw"}
	if err := cf.Save(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		image, file, wantUser, wantServer string
	}{
		{"registry.example:5000/tools/agent:1", authFile, "fleet", "registry.example:5000"},
		{"nginx:1.27", authFile, "hub", "docker.io"},
		{"other.example/agent:1", authFile, "", ""},
		{"registry.example:5000/tools/agent:1", filepath.Join(dir, "none.json"), "", ""},
		{"registry.example:5000/tools/agent:1", "", "", ""},
	}
	for _, tt := range tests {
		e := fakeEngine{images: map[string]bool{}, pullable: true}
		if err := Ensure(context.Background(), &e, "agent", services.Service{Image: tt.image}, "1.0", tt.file); err != nil {
			t.Fatalf("%s: %v", tt.image, err)
		}
		var got registry.AuthConfig
		if e.auth != "" {
			raw, err := base64.URLEncoding.DecodeString(e.auth)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
		}
		if got.Username != tt.wantUser || got.ServerAddress != tt.wantServer || (tt.wantUser != "" && got.Password == "") {
			t.Errorf("pulling %s with %q: credentials %+v, want user %q for %q", tt.image, tt.file, got, tt.wantUser, tt.wantServer)
		}
	}
	if err := os.WriteFile(authFile, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := fakeEngine{images: map[string]bool{}, pullable: true}
	err := Ensure(context.Background(), &e, "agent", services.Service{Image: "registry.example:5000/a:1"}, "1.0", authFile)
	if err == nil || !strings.Contains(err.Error(), "reading registry credentials") {
		t.Errorf("a torn credentials file: %v, want an error that names it", err)
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
