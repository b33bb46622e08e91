package services

import (
	"reflect"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/strslice"
)

func TestContainerSpec(t *testing.T) {
	tests := []struct {
		name       string
		svc        Service
		wantConfig *container.Config
		wantHost   *container.HostConfig
	}{
		{
			name: "everything",
			svc: Service{
				Image: "ros/docker:${ROS_VERSION}", Command: Command{"--debug"}, Entrypoint: Command{"/usr/bin/ros", "user-docker"},
				Privileged: true, Pid: "host", Net: "host", Ipc: "host", Uts: "host",
				Volumes: []string{"/usr:/usr:ro", "/var/lib/docker:/var/lib/docker"},
				Devices: []string{"/dev/kvm", "/dev/ttyS0:/dev/ttyS1"}, Environment: Environment{"A=1"},
				Restart: "unless-stopped", Labels: map[string]string{"k": "v"}, WorkingDir: "/w", User: "nobody",
			},
			wantConfig: &container.Config{
				Image: "ros/docker:1.2.0_git.abc", Cmd: strslice.StrSlice{"--debug"}, Entrypoint: strslice.StrSlice{"/usr/bin/ros", "user-docker"},
				Env: []string{"A=1"}, WorkingDir: "/w", User: "nobody",
				Labels: map[string]string{"k": "v", LabelService: "svc", LabelVersion: "1.2.0+git.abc", LabelOneshot: "false"},
			},
			wantHost: &container.HostConfig{
				Privileged: true, NetworkMode: "host", PidMode: "host", IpcMode: "host", UTSMode: "host",
				Binds:         []string{"/usr:/usr:ro", "/var/lib/docker:/var/lib/docker"},
				RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped},
				Resources: container.Resources{Devices: []container.DeviceMapping{
					{PathOnHost: "/dev/kvm", PathInContainer: "/dev/kvm", CgroupPermissions: "rwm"},
					{PathOnHost: "/dev/ttyS0", PathInContainer: "/dev/ttyS1", CgroupPermissions: "rwm"},
				}},
			},
		},
		{
			name:       "defaults: restart always, image default command",
			svc:        Service{Image: "busybox"},
			wantConfig: &container.Config{Image: "busybox", Labels: map[string]string{LabelService: "svc", LabelVersion: "1.2.0+git.abc", LabelOneshot: "false"}},
			wantHost:   &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped}, Init: &yes},
		},
		{
			name:       "oneshot is never restarted",
			svc:        Service{Image: "busybox", Oneshot: true},
			wantConfig: &container.Config{Image: "busybox", Labels: map[string]string{LabelService: "svc", LabelVersion: "1.2.0+git.abc", LabelOneshot: "true"}},
			wantHost:   &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyDisabled}, Init: &yes},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, hc := tt.svc.ContainerSpec("svc", "1.2.0+git.abc")
			if len(cfg.Labels[LabelSpec]) != 16 {
				t.Errorf("spec digest label = %q", cfg.Labels[LabelSpec])
			}
			delete(cfg.Labels, LabelSpec)
			if !reflect.DeepEqual(cfg, tt.wantConfig) {
				t.Errorf("Config =\n%#v\nwant\n%#v", cfg, tt.wantConfig)
			}
			if !reflect.DeepEqual(hc, tt.wantHost) {
				t.Errorf("HostConfig =\n%#v\nwant\n%#v", hc, tt.wantHost)
			}
		})
	}
}

func TestSpecDigest(t *testing.T) {
	digest := func(s Service) string {
		cfg, _ := s.ContainerSpec("svc", "1")
		return cfg.Labels[LabelSpec]
	}
	base := Service{Image: "i", Command: Command{"a"}}
	if digest(base) != digest(Service{Image: "i", Command: Command{"a"}}) {
		t.Error("the same definition has two digests")
	}
	for name, s := range map[string]Service{
		"command": {Image: "i", Command: Command{"b"}},
		"env":     {Image: "i", Command: Command{"a"}, Environment: Environment{"A=1"}},
		"volume":  {Image: "i", Command: Command{"a"}, Volumes: []string{"/a:/a"}},
	} {
		if digest(s) == digest(base) {
			t.Errorf("a changed %s keeps the digest", name)
		}
	}
}

func TestContainerSpecCopies(t *testing.T) {
	s := Service{Image: "i", Volumes: []string{"/a:/a"}, Environment: Environment{"A=1"}, Labels: map[string]string{"k": "v"}}
	cfg, hc := s.ContainerSpec("svc", "1")
	cfg.Env[0], hc.Binds[0], cfg.Labels["k"] = "B=2", "/b:/b", "w"
	if s.Environment[0] != "A=1" || s.Volumes[0] != "/a:/a" || s.Labels["k"] != "v" {
		t.Errorf("changing the spec changed the service: %#v", s)
	}
}

func TestImageRef(t *testing.T) {
	tests := []struct{ image, version, want string }{
		{"ros/ntp:${ROS_VERSION}", "1.0.0", "ros/ntp:1.0.0"},
		{"ros/ntp:${ROS_VERSION}", "1.0.0-rc.1+git.abc.dirty", "ros/ntp:1.0.0-rc.1_git.abc.dirty"},
		{"busybox:1.36", "1.0.0", "busybox:1.36"},
		{"reg:5000/${ROS_VERSION}/x:${ROS_VERSION}", "2+b", "reg:5000/2_b/x:2_b"},
	}
	for _, tt := range tests {
		t.Run(tt.image+"@"+tt.version, func(t *testing.T) {
			if got := (Service{Image: tt.image}).ImageRef(tt.version); got != tt.want {
				t.Errorf("ImageRef = %q, want %q", got, tt.want)
			}
		})
	}
}
