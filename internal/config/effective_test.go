package config

import (
	"reflect"
	"testing"

	"github.com/ros-os/ros/internal/services"
)

func TestServices(t *testing.T) {
	builtin := services.File{
		"network": {Image: "ros/network", Environment: services.Environment{"TZ=Europe/Paris"}},
		"docker":  {Image: "ros/docker", Command: services.Command{"dockerd", "--host=unix:///var/run/docker.sock"}, DependsOn: []string{"network"}, Environment: services.Environment{"DOCKER_RAMDISK=false"}},
		"console": {Image: "ros/console", DependsOn: []string{"network"}},
	}
	catalog := services.File{
		"cron": {Image: "ros/cron", DependsOn: []string{"network"}},
		"zfs":  {Image: "ros/zfs"},
	}
	tests := []struct {
		name string
		doc  string
		want services.File
	}{
		{name: "nothing set: the built-in services", doc: "", want: builtin},
		{
			name: "a catalog service enabled, one disabled",
			doc:  "ros:\n  services_include: {cron: true, zfs: false}\n",
			want: services.Merge(builtin, services.File{"cron": catalog["cron"]}),
		},
		{
			name: "a service of the config, replacing a built-in and a catalog one",
			doc: `ros:
  services_include: {cron: true}
  services:
    web: {image: nginx, depends_on: [docker]}
    console: {image: my/console}
    cron: {image: my/cron}
`,
			want: services.Merge(builtin, services.File{
				"web":     {Image: "nginx", DependsOn: []string{"docker"}},
				"console": {Image: "my/console"},
				"cron":    {Image: "my/cron"},
			}),
		},
		{
			name: "docker args and environment",
			doc:  "ros:\n  docker:\n    args: [--debug, --mtu=1400]\n    environment: {HTTP_PROXY: 'http://p:3128', DOCKER_RAMDISK: 'true'}\n",
			want: services.Merge(builtin, services.File{"docker": {
				Image:       "ros/docker",
				Command:     services.Command{"dockerd", "--host=unix:///var/run/docker.sock", "--debug", "--mtu=1400"},
				DependsOn:   []string{"network"},
				Environment: services.Environment{"DOCKER_RAMDISK=true", "HTTP_PROXY=http://p:3128", "ROS_DOCKER_CONFIG_ARGS=2"},
			}}),
		},
		{
			name: "environment for every service, not over its own",
			doc:  "ros:\n  environment: {TZ: UTC, HTTP_PROXY: 'http://p'}\n  docker: {environment: {HTTP_PROXY: 'http://d'}}\n",
			want: services.File{
				"network": {Image: "ros/network", Environment: services.Environment{"TZ=Europe/Paris", "HTTP_PROXY=http://p"}},
				"docker": {Image: "ros/docker", Command: builtin["docker"].Command, DependsOn: []string{"network"},
					Environment: services.Environment{"DOCKER_RAMDISK=false", "HTTP_PROXY=http://d", "TZ=UTC"}},
				"console": {Image: "ros/console", DependsOn: []string{"network"}, Environment: services.Environment{"HTTP_PROXY=http://p", "TZ=UTC"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := deepCopy(t, builtin, catalog)
			got, err := mustParse(t, tt.doc).Services(builtin, catalog)
			if err != nil {
				t.Fatalf("Services: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Services =\n%#v\nwant\n%#v", got, tt.want)
			}
			if after := deepCopy(t, builtin, catalog); !reflect.DeepEqual(after, before) {
				t.Errorf("Services changed its arguments:\n%#v\nwas\n%#v", after, before)
			}
		})
	}
}

// deepCopy is a copy of files that shares nothing with them.
func deepCopy(t *testing.T, files ...services.File) []services.File {
	t.Helper()
	var out []services.File
	for _, f := range files {
		c := services.File{}
		for n, s := range f {
			s.Command = append(services.Command(nil), s.Command...)
			s.Environment = append(services.Environment(nil), s.Environment...)
			s.DependsOn = append([]string(nil), s.DependsOn...)
			c[n] = s
		}
		out = append(out, c)
	}
	return out
}

func TestServicesDoesNotShareSlices(t *testing.T) {
	// Spare capacity in the built-in command must not be written to.
	cmd := make(services.Command, 1, 4)
	cmd[0] = "dockerd"
	builtin := services.File{"docker": {Image: "d", Command: cmd}}
	c := mustParse(t, "ros: {docker: {args: [--debug]}}\n")
	if _, err := c.Services(builtin, nil); err != nil {
		t.Fatal(err)
	}
	if got := cmd[:2][1]; got != "" {
		t.Errorf("Services wrote %q into the built-in command's array", got)
	}
}

func TestServicesErrors(t *testing.T) {
	builtin := services.File{"network": {Image: "n"}, "docker": {Image: "d", DependsOn: []string{"network"}}}
	catalog := services.File{"cron": {Image: "c"}}
	tests := []struct {
		name, doc, want string
	}{
		{"not in the catalog", "ros: {services_include: {x: true}}\n", `ros.services_include: no service "x" in the catalog (see ros service list)`},
		{"disabling a built-in", "ros: {services_include: {network: false}}\n", `ros.services_include: "network" is a built-in service and cannot be disabled: remove it from ros.services_include`},
		{"unknown dependency", "ros: {services: {web: {image: w, depends_on: [db]}}}\n", `checking the system services: service "web": depends on unknown service "db"`},
		{"cycle through a built-in", "ros: {services: {network: {image: n, depends_on: [docker]}}}\n", "checking the system services: dependency cycle: docker -> network -> docker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mustParse(t, tt.doc).Services(builtin, catalog)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Services error\n got %v\nwant %s", err, tt.want)
			}
		})
	}
	if _, err := mustParse(t, "ros: {docker: {args: [--debug]}}\n").Services(services.File{"network": {Image: "n"}}, nil); err == nil {
		t.Error("ros.docker without a docker service: no error")
	}
}
