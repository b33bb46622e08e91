// Package yamlerr turns yaml.v3 errors into one line per problem,
// "NAME:LINE: message", the form every ros config error takes.
package yamlerr

import (
	"errors"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	line    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknown = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
)

// Lines are the problems err reports, each "name:LINE: message" (or
// "name: message" without a line). yaml.v3's "field F not found in type T"
// becomes unknownKey(F, T).
func Lines(name string, err error, unknownKey func(field, typ string) string) []string {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = append([]string(nil), te.Errors...)
	}
	for i, m := range msgs {
		msgs[i] = name + ": " + strings.TrimPrefix(m, "yaml: ")
		if sub := line.FindStringSubmatch(m); sub != nil {
			msg := sub[2]
			if u := unknown.FindStringSubmatch(msg); u != nil {
				msg = unknownKey(u[1], u[2])
			}
			msgs[i] = name + ":" + sub[1] + ": " + msg
		}
	}
	return msgs
}
