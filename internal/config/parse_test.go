package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ros-os/ros/internal/services"
)

// Keys made with ssh-keygen.
const (
	edKey    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOxnMcQOMbGSIHdLwT9Qo6mDogI7v+UOaTp6XP1ou+zY me@laptop"
	ecdsaKey = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKJEV9NpbjS5Hl8U62zISGfox22jhAfWU4p4Z3i5dUzqsNF7OEmGPLps12HR4TPkv9py/rnP2h1KwX/2z7eJw3g= x"
	// edData is edKey's data, given with ssh-rsa below.
	edData = "AAAAC3NzaC1lZDI1NTE5AAAAIOxnMcQOMbGSIHdLwT9Qo6mDogI7v+UOaTp6XP1ou+zY"
)

func mustParse(t *testing.T, doc string) Config {
	t.Helper()
	c, err := Parse(Source{Name: "c.yml", Data: []byte(doc)})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Config
	}{
		{name: "empty", doc: "", want: Config{}},
		{name: "header only", doc: "#cloud-config\n", want: Config{}},
		{name: "null", doc: "#cloud-config\n~\n", want: Config{}},
		{name: "no header", doc: "hostname: web1\n", want: Config{Hostname: "web1"}},
		{
			name: "every key",
			doc: `#cloud-config
hostname: Web-1.example.com
ssh_authorized_keys:
  - ` + edKey + `
  - ` + ecdsaKey + `
write_files:
  - path: /etc/motd
    content: hello
  - path: /opt/x.bin
    content: aGk=
    encoding: b64
    permissions: 0755
    owner: rancher:1000
bootcmd:
  - echo boot
  - [sh, -c, "echo 1"]
runcmd: [date]
mounts:
  - [LABEL=DATA, /mnt/data]
  - [/dev/vdb1, /srv, ext4, "noatime"]
ros:
  services:
    cron:
      image: ros/cron:${ROS_VERSION}
      depends_on: [network]
  services_include: {ntp: true, zfs: false}
  network:
    interfaces:
      eth0: {dhcp: true}
      eth1: {address: 10.0.2.15/24, gateway: 10.0.2.2}
      eth1.100: {address: "fd00::2/64", gateway: "fd00::1"}
    dns: {nameservers: [1.1.1.1, "2606:4700:4700::1111"], search: [example.com, lan.]}
  docker: {args: [--debug], environment: {HTTP_PROXY: "http://p:3128"}}
  system_docker: {args: [--log-level=warn]}
  sysctl:
    net.ipv4.ip_forward: 1
    net/ipv4/conf/eth1.100/forwarding: "1"
  modules: [br_netfilter, wireguard]
  environment: [TZ=UTC]
  upgrade:
    repository: registry.example.com/ros/os
    policy: manual
    trust:
      - |
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcFZU7j+L6rdz+i8ge0oBc/34qzd6
        mZHNtSne1Wae4AUq4do2FCSru+T4TD3Y8kSmt60+luPhcXew3QDilf7o3w==
        -----END PUBLIC KEY-----
    replace_trust: true
  console: {autologin: true}
`,
			want: Config{
				Hostname:          "Web-1.example.com",
				SSHAuthorizedKeys: []string{edKey, ecdsaKey},
				WriteFiles: []WriteFile{
					{Path: "/etc/motd", Content: "hello"},
					{Path: "/opt/x.bin", Content: "aGk=", Encoding: "b64", Permissions: "0755", Owner: "rancher:1000"},
				},
				Bootcmd: []RunCommand{{"sh", "-c", "echo boot"}, {"sh", "-c", "echo 1"}},
				Runcmd:  []RunCommand{{"sh", "-c", "date"}},
				Mounts:  [][]string{{"LABEL=DATA", "/mnt/data"}, {"/dev/vdb1", "/srv", "ext4", "noatime"}},
				Ros: Ros{
					Services:        services.File{"cron": {Image: "ros/cron:${ROS_VERSION}", DependsOn: []string{"network"}}},
					ServicesInclude: map[string]bool{"ntp": true, "zfs": false},
					Network: Network{
						Interfaces: map[string]Interface{
							"eth0":     {DHCP: true},
							"eth1":     {Address: "10.0.2.15/24", Gateway: "10.0.2.2"},
							"eth1.100": {Address: "fd00::2/64", Gateway: "fd00::1"},
						},
						DNS: DNS{Nameservers: []string{"1.1.1.1", "2606:4700:4700::1111"}, Search: []string{"example.com", "lan."}},
					},
					Docker:       Docker{Args: []string{"--debug"}, Environment: services.Environment{"HTTP_PROXY=http://p:3128"}},
					SystemDocker: Docker{Args: []string{"--log-level=warn"}},
					Sysctl:       map[string]string{"net.ipv4.ip_forward": "1", "net/ipv4/conf/eth1.100/forwarding": "1"},
					Modules:      []string{"br_netfilter", "wireguard"},
					Environment:  services.Environment{"TZ=UTC"},
					Upgrade: Upgrade{Repository: "registry.example.com/ros/os", Policy: "manual", ReplaceTrust: true,
						Trust: []string{"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcFZU7j+L6rdz+i8ge0oBc/34qzd6\n" +
							"mZHNtSne1Wae4AUq4do2FCSru+T4TD3Y8kSmt60+luPhcXew3QDilf7o3w==\n-----END PUBLIC KEY-----\n"}},
					Console: Console{Autologin: true},
				},
			},
		},
		{
			name: "anchors and merge keys",
			doc: `ros:
  services:
    a1: &base {image: ros/a, net: host}
    b1:
      <<: *base
      privileged: true
`,
			want: Config{Ros: Ros{Services: services.File{
				"a1": {Image: "ros/a", Net: "host"},
				"b1": {Image: "ros/a", Net: "host", Privileged: true},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.doc); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // the whole error
	}{
		// What is not cloud-config.
		{"script", "#!/bin/sh\necho hi\n", "c.yml: a script, not a #cloud-config document; ros runs cloud-config only"},
		{"include", "#include\nhttp://x/y\n", "c.yml: an #include list, not a #cloud-config document; ros runs cloud-config only"},
		{"two documents", "hostname: a\n---\nhostname: b\n", "c.yml:2: more than one YAML document: put all keys in one (remove the ---)"},

		// YAML syntax and types.
		{"syntax", "hostname: [a\nros: {}\n", "c.yml:1: did not find expected ',' or ']'"},
		{"tab", "ros:\n\tconsole: {}\n", "c.yml:2: found character that cannot start any token"},
		{"unknown key", "#cloud-config\nhostnme: a\n", `c.yml:2: unknown key "hostnme": did you mean "hostname"?`},
		{"unknown key, no near one", "xyzzy: a\n", `c.yml:1: unknown key "xyzzy": want one of hostname, ssh_authorized_keys, write_files, bootcmd, runcmd, mounts, ros`},
		{"unknown key in ros", "ros:\n  consol: {}\n", `c.yml:2: unknown key "consol": did you mean "console"?`},
		{"unknown key in a list", "write_files:\n  - path: /a\n    mode: 0644\n", `c.yml:3: unknown key "mode": want one of path, content, permissions, owner, encoding`},
		{"unknown key in a service", "ros:\n  services:\n    ab:\n      image: i\n      volume: [/a:/b]\n", `c.yml:5: unknown key "volume": did you mean "volumes"?`},
		{"unknown key in an interface", "ros:\n  network:\n    interfaces:\n      eth0: {dhcp: true, gw: 1.2.3.4}\n", `c.yml:4: unknown key "gw": want one of dhcp, address, gateway`},
		{"several", "hostnme: a\nros:\n  x: 1\n  console: {autologin: maybe}\n",
			`c.yml:1: unknown key "hostnme": did you mean "hostname"?; ` +
				`c.yml:3: unknown key "x": want one of services, services_include, network, docker, system_docker, sysctl, modules, environment, upgrade, console, registry_auths; ` +
				"c.yml:4: cannot unmarshal !!str `maybe` into bool"},
		{"complex key", "ros:\n  sysctl:\n    ? [a]\n    : b\n", "c.yml:3: a key must be a plain word, not a list or a map"},
		{"odd merge key", "ros:\n services:\n    0: &a #0\n    1: {<<,000,{0}}", "c.yml:4: a key must be a plain word, not a list or a map"},
		{"not a map", "- a\n", "c.yml:1: cannot unmarshal !!seq into config.Config"},
		{"list for a string", "hostname: [a]\n", "c.yml:1: cannot unmarshal !!seq into string"},
		{"duplicate key", "hostname: a\nhostname: b\n", `c.yml:2: mapping key "hostname" already defined at line 1`},
		{"environment entry", "ros:\n  environment: [A=1, B]\n", `c.yml:2: environment entry "B" is not KEY=VALUE`},

		// hostname
		{"hostname underscore", "hostname: web_1\n", `c.yml:1: hostname "web_1": label "web_1": use only letters, digits and '-'`},
		{"hostname dash", "#cloud-config\nhostname: -web\n", `c.yml:2: hostname "-web": label "-web" starts or ends with '-'`},
		{"hostname dots", "hostname: a..b\n", `c.yml:1: hostname "a..b": empty label (two dots, or a dot at an end): use labels separated by single dots`},
		{"hostname label length", "hostname: " + strings.Repeat("a", 64) + "\n", `c.yml:1: hostname "` + strings.Repeat("a", 64) + `": label "` + strings.Repeat("a", 64) + `" is longer than 63 characters`},
		{"hostname length", "hostname: " + strings.Repeat("abcdefg.", 32) + "a\n", `c.yml:1: hostname "` + strings.Repeat("abcdefg.", 32) + `a": 257 characters long, at most 253 allowed`},

		// ssh_authorized_keys
		{"ssh key alone", "ssh_authorized_keys:\n  - " + edKey + "\n  - AAAAC3Nz\n", "c.yml:3: ssh_authorized_keys[1]: not a public key: " + sshKeyForm},
		{"ssh key type", "ssh_authorized_keys: [ssh-dss AAAAB3NzaC1kc3M= x]\n", `c.yml:1: ssh_authorized_keys[0]: key type "ssh-dss" is not supported: use one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com`},
		{"ssh key options", "ssh_authorized_keys:\n  - no-pty " + edKey + "\n", "c.yml:2: ssh_authorized_keys[0]: options before the key type are not supported: give the key alone, TYPE BASE64 [COMMENT]"},
		{"ssh key base64", "ssh_authorized_keys:\n  - ssh-ed25519 AAAA*C3Nz x\n", "c.yml:2: ssh_authorized_keys[0]: the key data is not valid base64: copy the whole line of the .pub file"},
		{"ssh key truncated", "ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1\n", "c.yml:2: ssh_authorized_keys[0]: the key data is truncated: copy the whole line of the .pub file"},
		{"ssh key without key", "ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n", "c.yml:2: ssh_authorized_keys[0]: the key data holds no key: copy the whole line of the .pub file"},
		{"ssh key type mismatch", "ssh_authorized_keys:\n  - ssh-rsa " + edData + "\n", `c.yml:2: ssh_authorized_keys[0]: the key data is of type "ssh-ed25519", not "ssh-rsa": copy the whole line of the .pub file`},

		// write_files
		{"write_files no path", "write_files:\n  - content: x\n", "c.yml:2: write_files[0]: path is required"},
		{"write_files relative", "write_files:\n  - content: x\n    path: etc/motd\n", `c.yml:3: write_files[0]: path "etc/motd" is not absolute: start it with /`},
		{"write_files unclean", "write_files:\n  - path: /etc/../x\n", `c.yml:2: write_files[0]: path "/etc/../x" is not clean: write "/x"`},
		{"write_files root", "write_files:\n  - path: /\n", `c.yml:2: write_files[0]: path "/" names no file`},
		{"permissions", "write_files:\n  - path: /a\n    permissions: '0x644'\n", `c.yml:3: write_files[0]: permissions "0x644": want an octal mode up to 7777, e.g. "0644"`},
		{"permissions too big", "write_files:\n  - path: /a\n    permissions: '17777'\n", `c.yml:3: write_files[0]: permissions "17777": want an octal mode up to 7777, e.g. "0644"`},
		{"permissions decimal", "write_files:\n  - path: /a\n    permissions: 0649\n", `c.yml:3: write_files[0]: permissions "0649": want an octal mode up to 7777, e.g. "0644"`},
		{"encoding", "write_files:\n  - path: /a\n    encoding: base32\n", `c.yml:3: write_files[0]: unknown encoding "base32": want b64, base64, gz, gzip, gz+b64 or gzip+base64, or none for plain text`},
		{"bad base64", "write_files:\n  - path: /a\n    content: a*b\n    encoding: b64\n", "c.yml:3: write_files[0]: content is not valid base64 (encoding b64): illegal base64 data at input byte 1"},
		{"not gzip", "write_files:\n  - path: /a\n    content: aGk=\n    encoding: gzip+base64\n", "c.yml:3: write_files[0]: content is not gzip data (encoding gzip+base64): unexpected EOF"},
		{"owner", "write_files:\n  - path: /a\n    owner: Root\n", `c.yml:3: write_files[0]: owner "Root": want USER or USER:GROUP, each a name ([a-z_][a-z0-9_-]*) or a number`},
		{"owner colon", "write_files:\n  - path: /a\n  - path: /b\n    owner: 'root:'\n", `c.yml:4: write_files[1]: owner "root:": want USER or USER:GROUP, each a name ([a-z_][a-z0-9_-]*) or a number`},

		// bootcmd, runcmd
		{"empty runcmd", "runcmd:\n  - date\n  - ''\n", "c.yml:3: runcmd[1]: the command is empty: give a shell line or a list of words, or remove the entry"},
		{"empty bootcmd list", "bootcmd: [[]]\n", "c.yml:1: bootcmd[0]: the command is empty: give a shell line or a list of words, or remove the entry"},
		{"null bootcmd", "bootcmd:\n  -\n", "c.yml:2: bootcmd[0]: the command is empty: give a shell line or a list of words, or remove the entry"},

		// mounts
		{"mount fields", "mounts:\n  - [/dev/vdb]\n", "c.yml:2: mounts[0]: want 2 to 4 fields [DEVICE, MOUNTPOINT, FSTYPE, OPTIONS], got 1"},
		{"mount device", "mounts:\n  - [vdb, /mnt]\n", `c.yml:2: mounts[0]: device "vdb": give a path such as /dev/vdb, LABEL=NAME or UUID=ID`},
		{"mount label", "mounts:\n  - [LABEL=, /mnt]\n", `c.yml:2: mounts[0]: device "LABEL=": give a path such as /dev/vdb, LABEL=NAME or UUID=ID`},
		{"mount point", "mounts:\n  - [UUID=1234, mnt]\n", `c.yml:2: mounts[0]: mount point "mnt" is not absolute: e.g. /mnt/data`},

		// ros.services
		{"service image", "ros:\n  services:\n    ab:\n      net: host\n", `c.yml:3: ros.services: service "ab": image is required`},
		{"service field", "ros:\n  services:\n    ab:\n      image: i\n      restart: sometimes\n", `c.yml:5: ros.services: service "ab": restart "sometimes": want no, always, on-failure or unless-stopped`},
		{"service name", "ros:\n  services:\n    a/b: {image: i}\n", `c.yml:3: ros.services: service "a/b": name must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`},

		// ros.services_include
		{"include name", "ros:\n  services_include:\n    Cron: true\n", `c.yml:3: ros.services_include: "Cron" is not a service name: use a-z, 0-9, '_', '.' and '-', starting with a letter or digit (see ros service list)`},

		// ros.network
		{"interface name", "ros:\n  network:\n    interfaces:\n      averyveryverylongname: {dhcp: true}\n", `c.yml:4: ros.network.interfaces: "averyveryverylongname" is not an interface name: at most 15 letters, digits, '_', '.' and '-', e.g. eth0`},
		{"interface both", "ros:\n  network:\n    interfaces:\n      eth0:\n        dhcp: true\n        address: 10.0.0.2/24\n", "c.yml:6: ros.network.interfaces.eth0: both dhcp and address are set: use dhcp: true or a static address, not both"},
		{"interface neither", "ros:\n  network:\n    interfaces:\n      eth0: {}\n", "c.yml:4: ros.network.interfaces.eth0: give dhcp: true or a static address (CIDR, e.g. address: 10.0.2.15/24)"},
		{"interface address", "ros:\n  network:\n    interfaces:\n      eth0:\n        address: 10.0.0.2\n", `c.yml:5: ros.network.interfaces.eth0: address "10.0.0.2" is not CIDR: want ADDRESS/PREFIX, e.g. 10.0.2.15/24`},
		{"gateway", "ros:\n  network:\n    interfaces:\n      eth0:\n        address: 10.0.0.2/24\n        gateway: router\n", `c.yml:6: ros.network.interfaces.eth0: gateway "router" is not an IP address, e.g. 10.0.2.2`},
		{"gateway with dhcp", "ros:\n  network:\n    interfaces:\n      eth0:\n        dhcp: true\n        gateway: 10.0.0.1\n", "c.yml:6: ros.network.interfaces.eth0: a gateway needs a static address: with dhcp the gateway comes from DHCP"},
		{"gateway family", "ros:\n  network:\n    interfaces:\n      eth0: {address: 10.0.0.2/24, gateway: 'fd00::1'}\n", "c.yml:4: ros.network.interfaces.eth0: gateway fd00::1 and address 10.0.0.2/24 are not both IPv4 or both IPv6"},
		{"nameserver", "ros:\n  network:\n    dns:\n      nameservers:\n        - 1.1.1.1\n        - dns.google\n", `c.yml:6: ros.network.dns.nameservers[1]: "dns.google" is not an IP address, e.g. 1.1.1.1`},
		{"search", "ros:\n  network:\n    dns:\n      search: [a_b.com]\n", `c.yml:4: ros.network.dns.search[0]: "a_b.com" is not a domain name: label "a_b": use only letters, digits and '-'`},

		// ros.sysctl, ros.modules
		{"sysctl dots", "ros:\n  sysctl:\n    net..ipv4: 1\n", `c.yml:3: ros.sysctl: key "net..ipv4": want a name like net.ipv4.ip_forward or net/ipv4/ip_forward`},
		{"sysctl path", "ros:\n  sysctl:\n    /proc/sys/x: 1\n", `c.yml:3: ros.sysctl: key "/proc/sys/x": want a name like net.ipv4.ip_forward or net/ipv4/ip_forward`},
		{"sysctl value", "ros:\n  sysctl:\n    vm.swappiness:\n", `c.yml:3: ros.sysctl: "vm.swappiness" has no value: give one, e.g. "1", or remove the key`},
		{"module", "ros:\n  modules: [ok, 'bonding mode=1']\n", `c.yml:2: ros.modules[1]: "bonding mode=1" is not a module name: use letters, digits, '_' and '-' (parameters are not supported)`},

		// ros.upgrade, ros.docker
		{"policy", "ros:\n  upgrade:\n    policy: auto\n", `c.yml:3: ros.upgrade.policy "auto": policy must be "manual": ros does not upgrade itself automatically`},
		{"trust key", "ros:\n  upgrade:\n    trust:\n      - not a key\n", "c.yml:4: ros.upgrade.trust[0] is not a public key: give the PEM text of a cosign.pub (-----BEGIN PUBLIC KEY-----)"},
		{"replace trust", "ros:\n  upgrade:\n    replace_trust: true\n", "c.yml:3: ros.upgrade.replace_trust with no ros.upgrade.trust keys would trust no upgrade: add the new keys to ros.upgrade.trust"},
		{"registry auth", "ros:\n  registry_auths:\n    reg.example.com:5000: {auth: 'bm9jb2xvbg=='}\n", `c.yml:3: ros.registry_auths.reg.example.com:5000: auth is not the base64 of "user:password"`},
		{"environment name", "ros:\n  environment: {no-proxy: x}\n", `c.yml:2: ros.environment[0]: "no-proxy=x" is not NAME=VALUE with a NAME of letters, digits and _ (e.g. HTTPS_PROXY=http://proxy:3128)`},
		{"registry auth user", "ros:\n  registry_auths:\n    reg.example.com: {password: x}\n", "c.yml:3: ros.registry_auths.reg.example.com: no username: give auth (base64 of user:password) or username and password"},
		{"registry auth key", "ros:\n  registry_auths:\n    https://reg.example.com/v2/: {username: u, password: p}\n", `c.yml:3: ros.registry_auths: key "https://reg.example.com/v2/": give the registry as host[:port], e.g. registry.example.com:5000`},
		{"docker arg", "ros:\n  docker:\n    args: [--debug, '']\n", "c.yml:3: ros.docker.args[1]: empty argument: remove it"},
		{"system_docker arg", "ros:\n  system_docker:\n    args:\n      - ''\n", "c.yml:4: ros.system_docker.args[0]: empty argument: remove it"},

		// Several problems, in line order.
		{"several checks", "ros:\n  modules: [a.b]\nhostname: a_b\n",
			`c.yml:2: ros.modules[0]: "a.b" is not a module name: use letters, digits, '_' and '-' (parameters are not supported); ` +
				`c.yml:3: hostname "a_b": label "a_b": use only letters, digits and '-'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(Source{Name: "c.yml", Data: []byte(tt.doc)})
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse error\n got %q\nwant %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestWriteFileDecode(t *testing.T) {
	// "hello\n" gzipped, then in base64.
	const gzB64 = "H4sIAAAAAAACA8tIzcnJ5wIAIDA6NgYAAAA="
	tests := []struct {
		name string
		f    WriteFile
		want string
	}{
		{"plain", WriteFile{Content: "hi"}, "hi"},
		{"b64", WriteFile{Content: "aGk=", Encoding: "b64"}, "hi"},
		{"base64 wrapped", WriteFile{Content: "aG\nk=\n", Encoding: "base64"}, "hi"},
		{"gz+b64", WriteFile{Content: gzB64, Encoding: "gz+b64"}, "hello\n"},
		{"gzip+base64", WriteFile{Content: gzB64, Encoding: "gzip+base64"}, "hello\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.f.Decode()
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Decode = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriteFileMode(t *testing.T) {
	tests := []struct {
		perm string
		want uint32
	}{
		{"", 0o644}, {"0644", 0o644}, {"755", 0o755}, {"0600", 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.perm, func(t *testing.T) {
			got, err := WriteFile{Permissions: tt.perm}.Mode()
			if err != nil || uint32(got) != tt.want {
				t.Errorf("Mode = %o, %v; want %o", got, err, tt.want)
			}
		})
	}
	if m, err := (WriteFile{Permissions: "4755"}).Mode(); err != nil || m.Perm() != 0o755 || m&(1<<23) == 0 && m.String() != "urwxr-xr-x" {
		t.Errorf("Mode(4755) = %v, %v; want setuid and 0755", m, err)
	}
}
