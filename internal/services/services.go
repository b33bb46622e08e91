// Package services is the format of the system service definitions: a small
// docker-compose-like YAML map from service name to container settings, as
// in RancherOS. Init reads it, orders the services by their dependencies and
// turns each one into a container of System Docker. The package is pure: it
// parses, checks and converts, and does no I/O.
//
//	ntp:
//	  image: ros/ntp:${ROS_VERSION}
//	  command: ntpd -n -p pool.ntp.org
//	  net: host
//	  privileged: true
//	  depends_on: [network]
package services

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Service is one system service: the container to run and when to run it.
type Service struct {
	// Image may contain ${ROS_VERSION}, see [Service.ImageRef].
	Image      string  `yaml:"image"`
	Command    Command `yaml:"command,omitempty"`
	Entrypoint Command `yaml:"entrypoint,omitempty"`
	Privileged bool    `yaml:"privileged,omitempty"`
	// Pid, Net, Ipc and Uts are "host" to share that namespace with the
	// host, or empty for the container's own.
	Pid string `yaml:"pid,omitempty"`
	Net string `yaml:"net,omitempty"`
	Ipc string `yaml:"ipc,omitempty"`
	Uts string `yaml:"uts,omitempty"`
	// Volumes are bind mounts "SRC:DST[:OPTS]" with absolute paths; OPTS is
	// a comma-separated list of ro, rw and a propagation mode.
	Volumes []string `yaml:"volumes,omitempty"`
	// Devices are "/dev/HOST[:/dev/CONTAINER]".
	Devices     []string    `yaml:"devices,omitempty"`
	Environment Environment `yaml:"environment,omitempty"`
	// Restart is no, always, on-failure or unless-stopped; empty means
	// always, or no for a oneshot service.
	Restart   string   `yaml:"restart,omitempty"`
	DependsOn []string `yaml:"depends_on,omitempty"`
	// Oneshot services run to completion: their dependents start only once
	// they have exited with status 0.
	Oneshot    bool              `yaml:"oneshot,omitempty"`
	Labels     map[string]string `yaml:"labels,omitempty"`
	WorkingDir string            `yaml:"working_dir,omitempty"`
	User       string            `yaml:"user,omitempty"`
}

// File is a set of services keyed by name; the name is also the name of the
// service's container.
type File map[string]Service

// Names returns the service names, sorted.
func (f File) Names() []string {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Command is a command line. In YAML it is a list of words or one string,
// split like a shell does (blanks, quotes, backslashes; no expansions).
type Command []string

// UnmarshalYAML accepts a list of strings or one string to split.
func (c *Command) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		words, err := splitWords(n.Value)
		if err != nil {
			return typeError(n, err.Error())
		}
		*c = words
		return nil
	}
	var words []string
	if err := n.Decode(&words); err != nil {
		return err
	}
	*c = words
	return nil
}

// Environment is a list of "KEY=VALUE". In YAML it is that list, or a map
// from key to value; a map is turned into a list sorted by key, and a key
// with no value gives "KEY=".
type Environment []string

// UnmarshalYAML accepts a list of "KEY=VALUE" or a map.
func (e *Environment) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.SequenceNode:
		return e.fromList(n)
	case yaml.MappingNode:
		return e.fromMap(n)
	}
	return typeError(n, "environment must be a list of KEY=VALUE or a map")
}

func (e *Environment) fromList(n *yaml.Node) error {
	var vars []string
	if err := n.Decode(&vars); err != nil {
		return err
	}
	for i, v := range vars {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return typeError(n.Content[i], fmt.Sprintf("environment entry %q is not KEY=VALUE", v))
		}
	}
	*e = vars
	return nil
}

func (e *Environment) fromMap(n *yaml.Node) error {
	var m map[string]yaml.Node
	if err := n.Decode(&m); err != nil {
		return err
	}
	vars := make([]string, 0, len(m))
	for k, v := range m {
		if v.Kind == yaml.AliasNode {
			v = *v.Alias
		}
		if k == "" || strings.Contains(k, "=") {
			return typeError(&v, fmt.Sprintf("environment key %q is not a variable name", k))
		}
		if v.Kind != yaml.ScalarNode {
			return typeError(&v, fmt.Sprintf("environment value of %q must be a scalar", k))
		}
		if v.ShortTag() == "!!null" {
			v.Value = ""
		}
		vars = append(vars, k+"="+v.Value)
	}
	sort.Strings(vars)
	*e = vars
	return nil
}

// typeError is how an unmarshaler reports a problem so that yaml.v3 keeps
// its line and collects it with its own errors.
func typeError(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, msg)}}
}

// splitWords splits s into words like a POSIX shell without expansions:
// blanks separate words, single quotes keep everything, double quotes keep
// everything but \" and \\, and a backslash outside quotes escapes the next
// character.
func splitWords(s string) ([]string, error) {
	var (
		words  []string
		word   strings.Builder
		inWord bool
		quote  rune
		escape bool
	)
	for _, r := range s {
		switch {
		case escape:
			if quote == '"' && r != '"' && r != '\\' {
				word.WriteRune('\\')
			}
			word.WriteRune(r)
			escape = false
		case r == '\\' && quote != '\'':
			escape, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escape {
		return nil, fmt.Errorf("unterminated quote or escape in %q", s)
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}
