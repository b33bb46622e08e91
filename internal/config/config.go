// Package config is ros's cloud-config: the YAML a user gives at install
// (ros install -c), on a NoCloud config drive or on the kernel command line,
// and changes with ros config. It parses and checks documents (errors give
// the source and line), merges them in order and turns the result into what
// init applies. It is pure: sources are bytes, it does no I/O.
//
//	#cloud-config
//	hostname: web1
//	ssh_authorized_keys: [ssh-ed25519 AAAA... me@laptop]
//	ros:
//	  network:
//	    dns: {nameservers: [1.1.1.1]}
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/ros-os/ros/internal/services"
)

// Config is one cloud-config document, or several merged.
type Config struct {
	Hostname          string      `yaml:"hostname,omitempty"`
	SSHAuthorizedKeys []string    `yaml:"ssh_authorized_keys,omitempty"`
	WriteFiles        []WriteFile `yaml:"write_files,omitempty"`
	// Bootcmd runs before System Docker starts, Runcmd once the system
	// services are up; each entry is a shell line or an argv list.
	Bootcmd []RunCommand `yaml:"bootcmd,omitempty"`
	Runcmd  []RunCommand `yaml:"runcmd,omitempty"`
	// Mounts are cloud-init's [device, mountpoint, fstype, options]; the
	// device may be LABEL=NAME. fstype defaults to auto, options to defaults.
	Mounts [][]string `yaml:"mounts,omitempty"`
	Ros    Ros        `yaml:"ros,omitempty"`
}

// WriteFile is a file init writes at every boot.
type WriteFile struct {
	Path    string `yaml:"path"`
	Content string `yaml:"content,omitempty"`
	// Permissions is octal, "0644" by default.
	Permissions string `yaml:"permissions,omitempty"`
	// Owner is "user[:group]", names or numbers; root:root by default.
	Owner string `yaml:"owner,omitempty"`
	// Encoding is "" (plain), b64/base64, gz/gzip or gz+b64/gzip+base64.
	Encoding string `yaml:"encoding,omitempty"`
}

// Ros is the ros: section, the counterpart of RancherOS's rancher:.
type Ros struct {
	// Services are extra system services, in the format of services.yaml;
	// one with a built-in's name replaces it.
	Services services.File `yaml:"services,omitempty"`
	// ServicesInclude enables (true) or disables (false) services of the
	// catalog shipped in the image (ros service list).
	ServicesInclude map[string]bool   `yaml:"services_include,omitempty"`
	Network         Network           `yaml:"network,omitempty"`
	Docker          Docker            `yaml:"docker,omitempty"`
	SystemDocker    Docker            `yaml:"system_docker,omitempty"`
	Sysctl          map[string]string `yaml:"sysctl,omitempty"`
	Modules         []string          `yaml:"modules,omitempty"`
	// Environment is given to every system service and to bootcmd/runcmd.
	Environment services.Environment `yaml:"environment,omitempty"`
	Upgrade     Upgrade              `yaml:"upgrade,omitempty"`
	Console     Console              `yaml:"console,omitempty"`
	// RegistryAuths are credentials by registry host[:port] (RancherOS's
	// rancher.registry_auths), for ros os upgrade|list, ros install and
	// the docker CLI of both daemons.
	RegistryAuths map[string]RegistryAuth `yaml:"registry_auths,omitempty"`
}

// RegistryAuth is either auth (base64 of "user:password", as in a Docker
// config.json) or a username and a password.
type RegistryAuth struct {
	Auth     string `yaml:"auth,omitempty"`
	Username string `yaml:"username,omitempty"`
	Password string `yaml:"password,omitempty"`
}

// Credentials are the user and password of a.
func (a RegistryAuth) Credentials() (user, password string, err error) {
	if a.Auth == "" {
		return a.Username, a.Password, nil
	}
	b, err := base64.StdEncoding.DecodeString(a.Auth)
	if err != nil {
		return "", "", fmt.Errorf("auth is not base64: %w", err)
	}
	user, password, ok := strings.Cut(string(b), ":")
	if !ok {
		return "", "", errors.New(`auth is not the base64 of "user:password"`)
	}
	return user, password, nil
}

// Network configures interfaces by kernel name (eth0); with none given, the
// first ethernet interface uses DHCP.
type Network struct {
	Interfaces map[string]Interface `yaml:"interfaces,omitempty"`
	DNS        DNS                  `yaml:"dns,omitempty"`
}

// Interface is either DHCP or a static address.
type Interface struct {
	DHCP bool `yaml:"dhcp,omitempty"`
	// Address is CIDR, e.g. 10.0.2.15/24.
	Address string `yaml:"address,omitempty"`
	Gateway string `yaml:"gateway,omitempty"`
}

// DNS set here replaces what DHCP hands out.
type DNS struct {
	Nameservers []string `yaml:"nameservers,omitempty"`
	Search      []string `yaml:"search,omitempty"`
}

// Docker is extra daemon arguments and environment.
type Docker struct {
	Args        []string             `yaml:"args,omitempty"`
	Environment services.Environment `yaml:"environment,omitempty"`
}

// Upgrade is where ros os upgrade looks without an argument, and whose
// signatures it trusts.
type Upgrade struct {
	Repository string `yaml:"repository,omitempty"`
	// Policy is "manual" (the default and only one: ros never upgrades
	// itself behind the user's back).
	Policy string `yaml:"policy,omitempty"`
	// Trust holds public keys (PEM) whose signatures upgrades accept,
	// besides the keys the running image trusts (/etc/ros/trust), or
	// instead of them with ReplaceTrust: how keys are rotated.
	Trust        []string `yaml:"trust,omitempty"`
	ReplaceTrust bool     `yaml:"replace_trust,omitempty"`
}

// Console settings.
type Console struct {
	// Autologin logs the default user in on the serial console.
	Autologin bool `yaml:"autologin,omitempty"`
}
