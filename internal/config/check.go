package config

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ros-os/ros/internal/services"
)

// problem is something wrong with the value at a path of a document.
type problem struct {
	at  keyPath
	msg string
}

// checker collects the problems of a Config.
type checker struct{ problems []problem }

func (ck *checker) errorf(at keyPath, format string, args ...any) {
	ck.problems = append(ck.problems, problem{at, fmt.Sprintf(format, args...)})
}

// checks are what Parse checks beyond the YAML types, in document order.
var checks = []func(*checker, Config){
	checkHostname, checkSSHKeys, checkWriteFiles, checkCommands, checkMounts,
	checkServices, checkServicesInclude, checkInterfaces, checkDNS,
	checkDockers, checkSysctl, checkModules, checkUpgrade, checkRegistryAuths, checkEnvironment,
}

// check runs checks on c; each problem is reported as "name:LINE: message"
// with the line of its key in doc (nil: no line), sorted by line.
func check(name string, c Config, doc *yaml.Node) error {
	ck := &checker{}
	for _, f := range checks {
		f(ck, c)
	}
	if len(ck.problems) == 0 {
		return nil
	}
	type located struct {
		line int
		msg  string
	}
	var ps []located
	for _, p := range ck.problems {
		ps = append(ps, located{lineOf(doc, p.at), p.msg})
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].line < ps[j].line })
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = fmt.Sprintf("%s:%d: %s", name, p.line, p.msg)
		if p.line == 0 {
			msgs[i] = name + ": " + p.msg
		}
	}
	return invalid(msgs...)
}

func checkHostname(ck *checker, c Config) {
	if c.Hostname == "" {
		return
	}
	if msg := hostnameProblem(c.Hostname); msg != "" {
		ck.errorf(keyPath{"hostname"}, "hostname %q: %s", c.Hostname, msg)
	}
}

var hostnameLabel = regexp.MustCompile(`^[a-zA-Z0-9-]*$`)

// hostnameProblem says what makes h not an RFC 1123 host name, or "".
func hostnameProblem(h string) string {
	if len(h) > 253 {
		return fmt.Sprintf("%d characters long, at most 253 allowed", len(h))
	}
	for _, l := range strings.Split(h, ".") {
		switch {
		case l == "":
			return "empty label (two dots, or a dot at an end): use labels separated by single dots"
		case len(l) > 63:
			return fmt.Sprintf("label %q is longer than 63 characters", l)
		case !hostnameLabel.MatchString(l):
			return fmt.Sprintf("label %q: use only letters, digits and '-'", l)
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Sprintf("label %q starts or ends with '-'", l)
		}
	}
	return ""
}

func checkSSHKeys(ck *checker, c Config) {
	for i, k := range c.SSHAuthorizedKeys {
		if msg := sshKeyProblem(k); msg != "" {
			ck.errorf(keyPath{"ssh_authorized_keys", idx(i)}, "ssh_authorized_keys[%d]: %s", i, msg)
		}
	}
}

func checkWriteFiles(ck *checker, c Config) {
	for i, f := range c.WriteFiles {
		at := keyPath{"write_files", idx(i)}
		where := fmt.Sprintf("write_files[%d]", i)
		if field, msg := writeFileProblem(f); msg != "" {
			if field != "" {
				at = at.at(field)
			}
			ck.errorf(at, "%s: %s", where, msg)
		}
	}
}

// writeFileProblem says what is wrong with f and in which field, or "".
func writeFileProblem(f WriteFile) (field, msg string) {
	switch {
	case f.Path == "":
		return "", "path is required"
	case !path.IsAbs(f.Path):
		return "path", fmt.Sprintf("path %q is not absolute: start it with /", f.Path)
	case path.Clean(f.Path) != f.Path:
		return "path", fmt.Sprintf("path %q is not clean: write %q", f.Path, path.Clean(f.Path))
	case f.Path == "/":
		return "path", `path "/" names no file`
	}
	if _, err := f.Mode(); err != nil {
		return "permissions", err.Error()
	}
	if !validOwner.MatchString(f.Owner) {
		return "owner", fmt.Sprintf("owner %q: want USER or USER:GROUP, each a name ([a-z_][a-z0-9_-]*) or a number", f.Owner)
	}
	if _, err := f.Decode(); err != nil {
		if errors.Is(err, errEncoding) {
			return "encoding", err.Error()
		}
		return "content", err.Error()
	}
	return "", ""
}

var validOwner = regexp.MustCompile(`^(?:(?:[a-z_][a-z0-9_-]*|[0-9]+)(?::(?:[a-z_][a-z0-9_-]*|[0-9]+))?)?$`)

func checkCommands(ck *checker, c Config) {
	for _, list := range []struct {
		key  string
		cmds []RunCommand
	}{{"bootcmd", c.Bootcmd}, {"runcmd", c.Runcmd}} {
		for i, cmd := range list.cmds {
			if emptyCommand(cmd) {
				ck.errorf(keyPath{list.key, idx(i)}, "%s[%d]: the command is empty: give a shell line or a list of words, or remove the entry", list.key, i)
			}
		}
	}
}

// emptyCommand tells whether c runs nothing: no words, an empty program or
// a blank shell line.
func emptyCommand(c RunCommand) bool {
	return len(c) == 0 || strings.TrimSpace(c[0]) == "" ||
		len(c) == 3 && c[0] == "sh" && c[1] == "-c" && strings.TrimSpace(c[2]) == ""
}

func checkMounts(ck *checker, c Config) {
	for i, m := range c.Mounts {
		if msg := mountProblem(m); msg != "" {
			ck.errorf(keyPath{"mounts", idx(i)}, "mounts[%d]: %s", i, msg)
		}
	}
}

// deviceTags are the device forms besides a path, as in fstab.
var deviceTags = []string{"LABEL=", "UUID=", "PARTLABEL=", "PARTUUID="}

func mountProblem(m []string) string {
	if len(m) < 2 || len(m) > 4 {
		return fmt.Sprintf("want 2 to 4 fields [DEVICE, MOUNTPOINT, FSTYPE, OPTIONS], got %d", len(m))
	}
	dev, dir := m[0], m[1]
	tagged := slices.ContainsFunc(deviceTags, func(t string) bool { return strings.HasPrefix(dev, t) && len(dev) > len(t) })
	if !tagged && !path.IsAbs(dev) {
		return fmt.Sprintf("device %q: give a path such as /dev/vdb, LABEL=NAME or UUID=ID", dev)
	}
	if !path.IsAbs(dir) {
		return fmt.Sprintf("mount point %q is not absolute: e.g. /mnt/data", dir)
	}
	return ""
}

func checkServices(ck *checker, c Config) {
	for _, name := range c.Ros.Services.Names() {
		err := c.Ros.Services[name].Check(name)
		if err == nil {
			continue
		}
		at := keyPath{"ros", "services", name}
		var fe *services.FieldError
		if errors.As(err, &fe) && fe.Field != "" {
			at = at.at(fe.Field)
		}
		ck.errorf(at, "ros.services: service %q: %v", name, err)
	}
}

var serviceName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

func checkServicesInclude(ck *checker, c Config) {
	for _, name := range sortedKeys(c.Ros.ServicesInclude) {
		if !serviceName.MatchString(name) {
			ck.errorf(keyPath{"ros", "services_include", name},
				"ros.services_include: %q is not a service name: use a-z, 0-9, '_', '.' and '-', starting with a letter or digit (see ros service list)", name)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func checkDockers(ck *checker, c Config) {
	for _, d := range []struct {
		key string
		d   Docker
	}{{"docker", c.Ros.Docker}, {"system_docker", c.Ros.SystemDocker}} {
		for i, a := range d.d.Args {
			if a == "" {
				ck.errorf(keyPath{"ros", d.key, "args", idx(i)}, "ros.%s.args[%d]: empty argument: remove it", d.key, i)
			}
		}
	}
}

// sysctlKey is a sysctl name in dotted or slashed form (or both, as
// sysctl(8) allows for names that hold a dot, like net/ipv4/conf/eth0.1/...).
var sysctlKey = regexp.MustCompile(`^[a-zA-Z0-9_-]+(?:[./][a-zA-Z0-9_-]+)*$`)

func checkSysctl(ck *checker, c Config) {
	for _, k := range sortedKeys(c.Ros.Sysctl) {
		at := keyPath{"ros", "sysctl", k}
		switch {
		case !sysctlKey.MatchString(k):
			ck.errorf(at, "ros.sysctl: key %q: want a name like net.ipv4.ip_forward or net/ipv4/ip_forward", k)
		case c.Ros.Sysctl[k] == "":
			ck.errorf(at, "ros.sysctl: %q has no value: give one, e.g. \"1\", or remove the key", k)
		}
	}
}

var moduleName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

func checkModules(ck *checker, c Config) {
	for i, m := range c.Ros.Modules {
		if !moduleName.MatchString(m) {
			ck.errorf(keyPath{"ros", "modules", idx(i)}, "ros.modules[%d]: %q is not a module name: use letters, digits, '_' and '-' (parameters are not supported)", i, m)
		}
	}
}

func checkUpgrade(ck *checker, c Config) {
	u := c.Ros.Upgrade
	if p := u.Policy; p != "" && p != "manual" {
		ck.errorf(keyPath{"ros", "upgrade", "policy"}, `ros.upgrade.policy %q: policy must be "manual": ros does not upgrade itself automatically`, p)
	}
	for i, k := range u.Trust {
		if !isPublicKey(k) {
			ck.errorf(keyPath{"ros", "upgrade", "trust", idx(i)}, "ros.upgrade.trust[%d] is not a public key: give the PEM text of a cosign.pub (-----BEGIN PUBLIC KEY-----)", i)
		}
	}
	if u.ReplaceTrust && len(u.Trust) == 0 {
		ck.errorf(keyPath{"ros", "upgrade", "replace_trust"}, "ros.upgrade.replace_trust with no ros.upgrade.trust keys would trust no upgrade: add the new keys to ros.upgrade.trust")
	}
}

func checkRegistryAuths(ck *checker, c Config) {
	for _, host := range sortedKeys(c.Ros.RegistryAuths) {
		a := c.Ros.RegistryAuths[host]
		at := keyPath{"ros", "registry_auths", host}
		switch user, _, err := a.Credentials(); {
		case strings.Contains(host, "/") && !strings.HasPrefix(host, "https://index.docker.io/"):
			ck.errorf(at, "ros.registry_auths: key %q: give the registry as host[:port], e.g. registry.example.com:5000", host)
		case err != nil:
			ck.errorf(at, "ros.registry_auths.%s: %v", host, err)
		case a.Auth != "" && (a.Username != "" || a.Password != ""):
			ck.errorf(at, "ros.registry_auths.%s: give auth or username and password, not both", host)
		case user == "":
			ck.errorf(at, "ros.registry_auths.%s: no username: give auth (base64 of user:password) or username and password", host)
		}
	}
}

// envName is a variable name every shell can export (login shells get
// ros.environment through /etc/profile).
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkEnvironment(ck *checker, c Config) {
	for i, kv := range c.Ros.Environment {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || !envName.MatchString(k) {
			ck.errorf(keyPath{"ros", "environment"}, "ros.environment[%d]: %q is not NAME=VALUE with a NAME of letters, digits and _ (e.g. HTTPS_PROXY=http://proxy:3128)", i, kv)
		}
	}
}

// isPublicKey reports whether s is one PEM public key that parses.
func isPublicKey(s string) bool {
	b, rest := pem.Decode([]byte(strings.TrimSpace(s)))
	if b == nil || b.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) > 0 {
		return false
	}
	_, err := x509.ParsePKIXPublicKey(b.Bytes)
	return err == nil
}
