package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ros-os/ros/internal/services"
)

func src(name, doc string) Source { return Source{Name: name, Data: []byte(doc)} }

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		srcs []Source
		want Config
	}{
		{name: "no source", want: Config{}},
		{name: "empty sources", srcs: []Source{src("a", ""), src("b", "#cloud-config\n")}, want: Config{}},
		{
			name: "later scalar wins, earlier kept",
			srcs: []Source{
				src("a", "hostname: a\nros: {console: {autologin: true}}\n"),
				src("b", "hostname: b\n"),
			},
			want: Config{Hostname: "b", Ros: Ros{Console: Console{Autologin: true}}},
		},
		{
			name: "maps merge key by key",
			srcs: []Source{
				src("a", "ros:\n  sysctl: {vm.swappiness: '10', net.ipv4.ip_forward: '0'}\n  services_include: {ntp: true}\n"),
				src("b", "ros:\n  sysctl: {net.ipv4.ip_forward: '1'}\n  services_include: {cron: true, ntp: false}\n"),
			},
			want: Config{Ros: Ros{
				Sysctl:          map[string]string{"vm.swappiness": "10", "net.ipv4.ip_forward": "1"},
				ServicesInclude: map[string]bool{"ntp": false, "cron": true},
			}},
		},
		{
			name: "lists below the top replace",
			srcs: []Source{
				src("a", "ros:\n  network: {dns: {nameservers: [1.1.1.1, 8.8.8.8], search: [a.com]}}\n  modules: [a]\n  docker: {args: [--debug]}\n"),
				src("b", "ros:\n  network: {dns: {nameservers: [9.9.9.9]}}\n  modules: [b]\n"),
			},
			want: Config{Ros: Ros{
				Network: Network{DNS: DNS{Nameservers: []string{"9.9.9.9"}, Search: []string{"a.com"}}},
				Modules: []string{"b"},
				Docker:  Docker{Args: []string{"--debug"}},
			}},
		},
		{
			name: "top-level lists concatenate",
			srcs: []Source{
				src("a", "ssh_authorized_keys: ['"+edKey+"']\nwrite_files: [{path: /a}]\nbootcmd: [one]\nruncmd: [x]\nmounts: [[/dev/vdb, /b]]\n"),
				src("b", "hostname: h\n"),
				src("c", "ssh_authorized_keys: ['"+ecdsaKey+"', '"+edKey+"']\nwrite_files: [{path: /b}]\nbootcmd: [two]\nruncmd: [y]\nmounts: [[/dev/vdc, /c]]\n"),
			},
			want: Config{
				Hostname:          "h",
				SSHAuthorizedKeys: []string{edKey, ecdsaKey},
				WriteFiles:        []WriteFile{{Path: "/a"}, {Path: "/b"}},
				Bootcmd:           []RunCommand{{"sh", "-c", "one"}, {"sh", "-c", "two"}},
				Runcmd:            []RunCommand{{"sh", "-c", "x"}, {"sh", "-c", "y"}},
				Mounts:            [][]string{{"/dev/vdb", "/b"}, {"/dev/vdc", "/c"}},
			},
		},
		{
			name: "duplicate ssh keys go, whatever their comment",
			srcs: []Source{
				src("a", "ssh_authorized_keys: ['"+edKey+"', '"+edKey+"']\n"),
				src("b", "ssh_authorized_keys: ['"+strings.TrimSuffix(edKey, "me@laptop")+"other']\n"),
			},
			want: Config{SSHAuthorizedKeys: []string{edKey}},
		},
		{
			name: "a service replaces the whole service",
			srcs: []Source{
				src("a", "ros:\n  services:\n    cron: {image: ros/cron, net: host, depends_on: [network]}\n    web: {image: nginx}\n"),
				src("b", "ros:\n  services:\n    cron: {image: ros/cron2}\n"),
			},
			want: Config{Ros: Ros{Services: services.File{
				"cron": {Image: "ros/cron2"},
				"web":  {Image: "nginx"},
			}}},
		},
		{
			name: "an interface replaces the whole interface",
			srcs: []Source{
				src("a", "ros:\n  network:\n    interfaces:\n      eth0: {dhcp: true}\n      eth1: {dhcp: true}\n"),
				src("b", "ros:\n  network:\n    interfaces:\n      eth0: {address: 10.0.0.2/24, gateway: 10.0.0.1}\n"),
			},
			want: Config{Ros: Ros{Network: Network{Interfaces: map[string]Interface{
				"eth0": {Address: "10.0.0.2/24", Gateway: "10.0.0.1"},
				"eth1": {DHCP: true},
			}}}},
		},
		{
			name: "null changes nothing",
			srcs: []Source{
				src("a", "hostname: a\nros: {modules: [m], console: {autologin: true}}\n"),
				src("b", "hostname:\nros:\n  modules:\n  console:\n"),
			},
			want: Config{Hostname: "a", Ros: Ros{Modules: []string{"m"}, Console: Console{Autologin: true}}},
		},
		{
			name: "scalars keep their text",
			srcs: []Source{
				src("a", "write_files: [{path: /a, permissions: 0644}]\nhostname: '0x10'\n"),
				src("b", "ros: {sysctl: {vm.x: 0x10}}\n"),
			},
			want: Config{Hostname: "0x10", WriteFiles: []WriteFile{{Path: "/a", Permissions: "0644"}}, Ros: Ros{Sysctl: map[string]string{"vm.x": "0x10"}}},
		},
		{
			name: "aliases and merge keys",
			srcs: []Source{
				src("a", "ros:\n  services:\n    a1: &a {image: i, net: host}\n    b1: {<<: *a, pid: host}\n"),
				src("b", "ros:\n  services:\n    c1: {image: j}\n"),
			},
			want: Config{Ros: Ros{Services: services.File{
				"a1": {Image: "i", Net: "host"},
				"b1": {Image: "i", Net: "host", Pid: "host"},
				"c1": {Image: "j"},
			}}},
		},
		{
			name: "environment map merges, list replaces",
			srcs: []Source{
				src("a", "ros:\n  environment: {A: '1', B: '2'}\n  docker: {environment: [X=1]}\n"),
				src("b", "ros:\n  environment: {B: '3'}\n  docker: {environment: [Y=2]}\n"),
			},
			want: Config{Ros: Ros{
				Environment: services.Environment{"A=1", "B=3"},
				Docker:      Docker{Environment: services.Environment{"Y=2"}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(tt.srcs...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(
		src("/state/ros/cloud-config.yml", "hostnme: a\n"),
		src("cidata:/dev/vdb user-data", "hostname: ok\n"),
		src("ros.cloud_config=http://x/c.yml", "#!/bin/sh\n"),
		src("d", "hostname: a_b\nros: {upgrade: {policy: auto}}\n"),
	)
	want := `/state/ros/cloud-config.yml:1: unknown key "hostnme": did you mean "hostname"?; ` +
		`ros.cloud_config=http://x/c.yml: a script, not a #cloud-config document; ros runs cloud-config only; ` +
		`d:1: hostname "a_b": label "a_b": use only letters, digits and '-'; ` +
		`d:2: ros.upgrade.policy "auto": policy must be "manual": ros does not upgrade itself automatically`
	if err == nil || err.Error() != want {
		t.Errorf("Load error\n got %v\nwant %s", err, want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Load error %v is not ErrInvalid", err)
	}
}

func TestLoadDoesNotShareNodes(t *testing.T) {
	// The same source twice: concatenated lists must not alias each other.
	s := src("a", "runcmd: [x]\nros: {services: {a1: {image: i}}}\n")
	c, err := Load(s, s)
	if err != nil {
		t.Fatal(err)
	}
	if want := []RunCommand{{"sh", "-c", "x"}, {"sh", "-c", "x"}}; !reflect.DeepEqual(c.Runcmd, want) {
		t.Errorf("runcmd = %q, want %q", c.Runcmd, want)
	}
}
