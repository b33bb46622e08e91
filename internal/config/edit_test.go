package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ros-os/ros/internal/services"
)

// persistent is a persistent document with comments, as a user keeps it.
const persistent = `#cloud-config
# The machine's name.
hostname: web1 # short
ros:
  # DNS servers, not DHCP's
  network:
    dns:
      nameservers: [1.1.1.1]
  sysctl:
    vm.swappiness: "10"
`

func TestGet(t *testing.T) {
	c := mustParse(t, persistent+`  services_include: {cron: true, zfs: false}
  services:
    ntp: {image: ros/ntp, net: host}
    my.svc: {image: mine}
ssh_authorized_keys: ['`+edKey+`']
`)
	c.Ros.Network.Interfaces = map[string]Interface{"eth0.100": {DHCP: true}}
	tests := []struct {
		key, want string
	}{
		{"hostname", "web1"},
		{"ros.network.dns.nameservers", "- 1.1.1.1"},
		{"ros.network.dns", "nameservers:\n  - 1.1.1.1"},
		{"ros.network.dns.search", ""},
		{"ros.sysctl.vm.swappiness", "10"},
		{"ros.sysctl.net.ipv4.ip_forward", ""},
		{"ros.sysctl", `vm.swappiness: "10"`},
		{"ros.services_include.cron", "true"},
		{"ros.services_include.zfs", "false"},
		{"ros.services_include.other", ""},
		{"ros.services.ntp.net", "host"},
		{"ros.services.ntp", "image: ros/ntp\nnet: host"},
		{"ros.services.chrony.image", ""},
		{"ros.services.my.svc", "image: mine"},
		{"ros.services.my.svc.image", "mine"},
		{"ros.network.interfaces.eth0.100.dhcp", "true"},
		{"ros.network.interfaces.eth0.100", "dhcp: true"},
		{"ros.console.autologin", "false"},
		{"ros.console", ""},
		{"ros.upgrade.repository", ""},
		{"write_files", ""},
		{"ssh_authorized_keys", "- " + edKey},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, err := Get(c, tt.key)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got != tt.want {
				t.Errorf("Get = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeyErrors(t *testing.T) {
	tests := []struct {
		key, want string
	}{
		{"", "empty key: give one like hostname or ros.console.autologin"},
		{"hostnme", `unknown key "hostnme": did you mean "hostname"? (the top-level keys are hostname, ssh_authorized_keys, write_files, bootcmd, runcmd, mounts, ros)`},
		{"ros.foo", `unknown key "ros.foo": the keys under ros are services, services_include, network, docker, system_docker, sysctl, modules, environment, upgrade, console, registry_auths`},
		{"ros..console", `unknown key "ros..console": the keys under ros are services, services_include, network, docker, system_docker, sysctl, modules, environment, upgrade, console, registry_auths`},
		{"ros.console.autologin.x", `unknown key "ros.console.autologin.x": ros.console.autologin is a single value, with no keys under it`},
		{"ros.network.dns.nameservers.0", `unknown key "ros.network.dns.nameservers.0": ros.network.dns.nameservers is a list, get or set it whole`},
		{"ros.sysctl.", `key "ros.sysctl.": give a name after ros.sysctl.`},
		{"ros.services.ntp.imag", `unknown key "ros.services.ntp.imag": did you mean "ros.services.ntp.image"? (the keys under ros.services.ntp are image, command, entrypoint, privileged, pid, net, ipc, uts, volumes, devices, environment, restart, depends_on, oneshot, labels, working_dir, user)`},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if _, err := Get(Config{}, tt.key); err == nil || err.Error() != tt.want {
				t.Errorf("Get error = %v, want %q", err, tt.want)
			}
			if _, err := Set([]byte(persistent), tt.key, "x"); err == nil || err.Error() != tt.want {
				t.Errorf("Set error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name       string
		doc        string
		key, value string
		want       string
	}{
		{
			name: "replace a scalar, keeping comments",
			doc:  persistent, key: "hostname", value: "web2",
			want: strings.Replace(persistent, "web1", "web2", 1),
		},
		{
			name: "a new key in an existing map",
			doc:  persistent, key: "ros.console.autologin", value: "true",
			want: persistent + "  console:\n    autologin: true\n",
		},
		{
			name: "a list",
			doc:  persistent, key: "ros.network.dns.nameservers", value: "[8.8.8.8, 9.9.9.9]",
			want: strings.Replace(persistent, "[1.1.1.1]", "[8.8.8.8, 9.9.9.9]", 1),
		},
		{
			name: "one value for a list",
			doc:  persistent, key: "ros.modules", value: "wireguard",
			want: persistent + "  modules:\n    - wireguard\n",
		},
		{
			name: "sysctl key with dots",
			doc:  persistent, key: "ros.sysctl.net.ipv4.ip_forward", value: "1",
			want: persistent + "    net.ipv4.ip_forward: 1\n",
		},
		{
			name: "a map value",
			doc:  persistent, key: "ros.network.interfaces.eth0", value: "{dhcp: true}",
			want: strings.Replace(persistent, "      nameservers: [1.1.1.1]\n", "      nameservers: [1.1.1.1]\n    interfaces:\n      eth0: {dhcp: true}\n", 1),
		},
		{
			name: "an interface name with a dot",
			doc:  persistent, key: "ros.network.interfaces.eth0.100.address", value: "10.0.0.2/24",
			want: strings.Replace(persistent, "      nameservers: [1.1.1.1]\n", "      nameservers: [1.1.1.1]\n    interfaces:\n      eth0.100:\n        address: 10.0.0.2/24\n", 1),
		},
		{
			name: "a quoted string stays a string",
			doc:  "#cloud-config\nwrite_files: [{path: /a}]\n", key: "hostname", value: `"1234"`,
			want: "#cloud-config\nwrite_files: [{path: /a}]\nhostname: \"1234\"\n",
		},
		{
			name: "intermediate maps",
			doc:  "#cloud-config\nhostname: a\n", key: "ros.services.cron.image", value: "ros/cron:${ROS_VERSION}",
			want: "#cloud-config\nhostname: a\nros:\n  services:\n    cron:\n      image: ros/cron:${ROS_VERSION}\n",
		},
		{
			name: "into a null",
			doc:  "#cloud-config\nros:\n", key: "ros.console.autologin", value: "true",
			want: "#cloud-config\nros:\n  console:\n    autologin: true\n",
		},
		{
			name: "empty document gets the header",
			doc:  "", key: "hostname", value: "a",
			want: "#cloud-config\nhostname: a\n",
		},
		{
			name: "comments only",
			doc:  "# mine\n", key: "hostname", value: "a",
			want: "#cloud-config\n# mine\nhostname: a\n",
		},
		{
			name: "no header stays without",
			doc:  "hostname: a\n", key: "hostname", value: "b",
			want: "hostname: b\n",
		},
		{
			name: "empty value removes the key and emptied maps",
			doc:  persistent, key: "ros.sysctl.vm.swappiness", value: "",
			want: strings.Replace(persistent, "  sysctl:\n    vm.swappiness: \"10\"\n", "", 1),
		},
		{
			name: "null removes the first key, not the header",
			doc:  persistent, key: "hostname", value: "~",
			want: "#cloud-config\n" + persistent[strings.Index(persistent, "ros:"):],
		},
		{
			name: "removing what is not there",
			doc:  persistent, key: "ros.console.autologin", value: "",
			want: persistent,
		},
		{
			name: "removing the last key",
			doc:  "#cloud-config\nhostname: a\n", key: "hostname", value: "",
			want: "#cloud-config\n",
		},
		{
			name: "below an alias, which is copied",
			doc:  "ros:\n  services:\n    a1: &a {image: i}\n    b1: *a\n", key: "ros.services.b1.net", value: "host",
			want: "ros:\n  services:\n    a1: &a {image: i}\n    b1: {image: i, net: host}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Set([]byte(tt.doc), tt.key, tt.value)
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Set =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestSetGet(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"hostname", "web2", "web2"},
		{"ros.console.autologin", "true", "true"},
		{"ros.sysctl.net.ipv4.ip_forward", "1", "1"},
		{"ros.network.dns.nameservers", "[8.8.8.8]", "- 8.8.8.8"},
		{"ros.services_include.cron", "false", "false"},
		{"write_files", `[{path: /a, permissions: "0600"}]`, "- path: /a\n  permissions: \"0600\""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			doc, err := Set([]byte(persistent), tt.key, tt.value)
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			got, err := Get(mustParse(t, string(doc)), tt.key)
			if err != nil || got != tt.want {
				t.Errorf("Get after Set = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name, doc, key, value, want string
	}{
		{"invalid result", persistent, "hostname", "web_1", `setting hostname: cloud-config:3: hostname "web_1": label "web_1": use only letters, digits and '-'`},
		{"wrong type", persistent, "ros.console.autologin", "maybe", "setting ros.console.autologin: cloud-config:12: cannot unmarshal !!str `maybe` into bool"},
		{"policy", persistent, "ros.upgrade.policy", "auto", `setting ros.upgrade.policy: cloud-config:12: ros.upgrade.policy "auto": policy must be "manual": ros does not upgrade itself automatically`},
		{"value syntax", persistent, "ros.modules", "[a", "setting ros.modules: value:1: did not find expected ',' or ']'"},
		{"broken document", "hostname: [a\n", "hostname", "b", "cloud-config:1: did not find expected ',' or ']'"},
		{"document a list", "- a\n", "hostname", "b", "cloud-config:1: the document is not a mapping of keys to values: fix or remove it first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Set([]byte(tt.doc), tt.key, tt.value)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Set error\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestMergeDoc(t *testing.T) {
	tests := []struct {
		name, doc, extra, want string
	}{
		{
			name:  "keeps the document's comments",
			doc:   persistent,
			extra: "#cloud-config\n# lost\nhostname: web2\nros:\n  network: {dns: {search: [example.com]}}\n  console: {autologin: true}\n",
			want: strings.Replace(strings.Replace(persistent, "web1", "web2", 1),
				"[1.1.1.1]\n", "[1.1.1.1]\n      search: [example.com]\n", 1) + "  console: {autologin: true}\n",
		},
		{
			name:  "concatenates top-level lists without duplicate keys",
			doc:   "#cloud-config\nssh_authorized_keys:\n  - " + edKey + "\nruncmd: [a]\n",
			extra: "ssh_authorized_keys: ['" + edKey + "', '" + ecdsaKey + "']\nruncmd: [b]\n",
			want:  "#cloud-config\nssh_authorized_keys:\n  - " + edKey + "\n  - '" + ecdsaKey + "'\nruncmd: [a, b]\n",
		},
		{
			name:  "replaces a service whole",
			doc:   "ros:\n  services:\n    web: {image: nginx, net: host}\n",
			extra: "ros:\n  services:\n    web: {image: caddy}\n",
			want:  "ros:\n  services:\n    web: {image: caddy}\n",
		},
		{
			name:  "into an empty document",
			doc:   "",
			extra: "hostname: a\n",
			want:  "#cloud-config\nhostname: a\n",
		},
		{
			name:  "drops the input's comments",
			doc:   "hostname: a\n",
			extra: "#cloud-config\n# console\nros: {console: {autologin: true}} # on\n",
			want:  "hostname: a\nros: {console: {autologin: true}}\n",
		},
		{
			name:  "an empty input",
			doc:   persistent,
			extra: "#cloud-config\n",
			want:  persistent,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MergeDoc([]byte(tt.doc), []byte(tt.extra))
			if err != nil {
				t.Fatalf("MergeDoc: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("MergeDoc =\n%s\nwant\n%s", got, tt.want)
			}
			// The same rules as Load.
			viaLoad, err := Load(src("doc", tt.doc), src("extra", tt.extra))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c := mustParse(t, string(got)); !reflect.DeepEqual(c, viaLoad) {
				t.Errorf("MergeDoc gives\n%#v\nLoad gives\n%#v", c, viaLoad)
			}
		})
	}
}

func TestMergeDocErrors(t *testing.T) {
	tests := []struct {
		name, doc, extra, want string
	}{
		{"invalid input", persistent, "hostnme: a\n", `input:1: unknown key "hostnme": did you mean "hostname"?`},
		{"script input", persistent, "#!/bin/sh\n", "input: a script, not a #cloud-config document; ros runs cloud-config only"},
		{"invalid result", "#cloud-config\nhostname: a_b\n", "ros: {console: {autologin: true}}\n",
			`merging input: cloud-config:2: hostname "a_b": label "a_b": use only letters, digits and '-'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MergeDoc([]byte(tt.doc), []byte(tt.extra))
			if err == nil || err.Error() != tt.want {
				t.Errorf("MergeDoc error\n got %v\nwant %s", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("MergeDoc error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"zero", Config{}, "#cloud-config\n"},
		{"some", Config{
			Hostname:   "1234",
			WriteFiles: []WriteFile{{Path: "/a", Permissions: "0644", Content: "line 1\nline 2\n"}},
			Runcmd:     []RunCommand{{"sh", "-c", "echo hi"}, {"date", "-u"}},
			Ros:        Ros{Sysctl: map[string]string{"net.ipv4.ip_forward": "1"}, Console: Console{Autologin: true}},
		}, `#cloud-config
hostname: "1234"
write_files:
  - path: /a
    content: |
      line 1
      line 2
    permissions: "0644"
runcmd:
  - echo hi
  - - date
    - -u
ros:
  sysctl:
    net.ipv4.ip_forward: "1"
  console:
    autologin: true
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.c)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal =\n%s\nwant\n%s", got, tt.want)
			}
			if back := mustParse(t, string(got)); !reflect.DeepEqual(back, tt.c) {
				t.Errorf("Parse(Marshal(c)) =\n%#v\nwant\n%#v", back, tt.c)
			}
		})
	}
}

func TestRestartNote(t *testing.T) {
	tests := []struct{ key, want string }{
		{"ros.services.cron", "run: sudo ros service up cron"},
		{"ros.services.cron.image", "run: sudo ros service up cron"},
		{"ros.services.my.svc", "run: sudo ros service up my.svc"},
		{"ros.services_include.zfs", "run: sudo ros service up zfs"},
		{"ros.services", "run: sudo ros service up NAME for each service changed"},
		{"ros.docker.args", "run: sudo ros service up docker (restarts User Docker)"},
		{"ros.docker", "run: sudo ros service up docker (restarts User Docker)"},
		{"ros.console.autologin", "run: sudo ros service up console"},
		{"ros.upgrade.repository", ""},
		{"ros.system_docker.args", rebootNote},
		{"hostname", rebootNote},
		{"ros.network.dns.nameservers", rebootNote},
		{"no.such.key", rebootNote},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := RestartNote(tt.key); got != tt.want {
				t.Errorf("RestartNote = %q, want %q", got, tt.want)
			}
		})
	}
}

var _ = services.File{}
