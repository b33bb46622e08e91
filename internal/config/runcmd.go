package config

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// RunCommand is a bootcmd or runcmd entry, as in cloud-init: a string is a
// shell line (run as sh -c LINE), a list is run as it is.
type RunCommand []string

// UnmarshalYAML accepts a string or a list of strings.
func (c *RunCommand) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*c = RunCommand{"sh", "-c", n.Value}
		return nil
	}
	var argv []string
	if err := n.Decode(&argv); err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a command is a shell line or a list of words", n.Line)}}
	}
	*c = argv
	return nil
}

// MarshalYAML writes a shell line back as a string.
func (c RunCommand) MarshalYAML() (any, error) {
	if len(c) == 3 && c[0] == "sh" && c[1] == "-c" {
		return c[2], nil
	}
	return []string(c), nil
}
