package services

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Validate checks every service (see [Service] for the rules) and that the
// dependencies exist and have no cycle. The error names the first service in
// name order that is wrong.
func Validate(f File) error {
	for _, n := range f.Names() {
		if err := f[n].check(n); err != nil {
			return fmt.Errorf("service %q: %w", n, err)
		}
	}
	return checkGraph(f)
}

// FieldError is a problem with one field of a service, named by its YAML
// key so that a parser can find its line; "" means the service itself.
type FieldError struct {
	Field string
	msg   string
}

func (e *FieldError) Error() string { return e.msg }

func errorf(field, format string, args ...any) *FieldError {
	return &FieldError{field, fmt.Sprintf(format, args...)}
}

// Check runs the checks of [Validate] that need only the service itself,
// without looking at its dependencies. A problem is a *[FieldError].
func (s Service) Check(name string) error {
	if err := s.check(name); err != nil {
		return err
	}
	return nil
}

// validName is what Docker accepts as a container name.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// check runs the checks that need only the service itself.
func (s Service) check(name string) *FieldError {
	checks := []func(Service) *FieldError{
		checkImage, checkNamespaces, checkVolumes, checkDevices, checkRestart, checkLabels,
	}
	if !validName.MatchString(name) {
		return errorf("", "name must match %s", validName)
	}
	for _, c := range checks {
		if err := c(s); err != nil {
			return err
		}
	}
	return nil
}

func checkImage(s Service) *FieldError {
	if s.Image == "" {
		return errorf("image", "image is required")
	}
	if rest := strings.ReplaceAll(s.Image, versionVar, ""); strings.Contains(rest, "$") {
		return errorf("image", "image %q: only %s can be expanded", s.Image, versionVar)
	}
	return nil
}

func checkNamespaces(s Service) *FieldError {
	for _, ns := range []struct{ key, val string }{{"pid", s.Pid}, {"net", s.Net}, {"ipc", s.Ipc}, {"uts", s.Uts}} {
		if ns.val != "" && ns.val != "host" {
			return errorf(ns.key, "%s %q: want host or nothing", ns.key, ns.val)
		}
	}
	return nil
}

// volumeOpts are the options of a bind mount; at most one of each group.
var volumeOpts = map[string]string{
	"ro": "mode", "rw": "mode",
	"shared": "propagation", "rshared": "propagation", "slave": "propagation",
	"rslave": "propagation", "private": "propagation", "rprivate": "propagation",
}

func checkVolumes(s Service) *FieldError {
	for _, v := range s.Volumes {
		if err := checkVolume(v); err != "" {
			return errorf("volumes", "volume %q: %s", v, err)
		}
	}
	return nil
}

func checkVolume(v string) string {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return "want SRC:DST[:OPTS]"
	}
	if !path.IsAbs(parts[0]) || !path.IsAbs(parts[1]) {
		return "SRC and DST must be absolute paths"
	}
	if len(parts) == 2 {
		return ""
	}
	seen := map[string]bool{}
	for _, o := range strings.Split(parts[2], ",") {
		group, ok := volumeOpts[o]
		if !ok {
			return fmt.Sprintf("unknown option %q", o)
		}
		if seen[group] {
			return fmt.Sprintf("more than one %s option", group)
		}
		seen[group] = true
	}
	return ""
}

func checkDevices(s Service) *FieldError {
	for _, d := range s.Devices {
		host, ctr, _ := strings.Cut(d, ":")
		if !strings.HasPrefix(host, "/dev/") || (ctr != "" && !strings.HasPrefix(ctr, "/dev/")) || strings.Count(d, ":") > 1 {
			return errorf("devices", "device %q: want /dev/HOST[:/dev/CONTAINER]", d)
		}
	}
	return nil
}

func checkRestart(s Service) *FieldError {
	switch s.Restart {
	case "", "no":
		return nil
	case "always", "on-failure", "unless-stopped":
		if s.Oneshot {
			return errorf("restart", "restart %q: a oneshot service is not restarted", s.Restart)
		}
		return nil
	}
	return errorf("restart", "restart %q: want no, always, on-failure or unless-stopped", s.Restart)
}

func checkLabels(s Service) *FieldError {
	for k := range s.Labels {
		if strings.HasPrefix(k, labelPrefix) {
			return errorf("labels", "label %q: the %s prefix is reserved", k, labelPrefix)
		}
	}
	return nil
}

// checkGraph checks that every dependency exists and that there is no cycle.
func checkGraph(f File) error {
	for _, n := range f.Names() {
		for _, d := range f[n].DependsOn {
			if _, ok := f[d]; !ok {
				return fmt.Errorf("service %q: depends on unknown service %q", n, d)
			}
		}
	}
	if c := findCycle(f); c != nil {
		return fmt.Errorf("dependency cycle: %s", strings.Join(c, " -> "))
	}
	return nil
}

// findCycle returns a dependency cycle as a path "a b a", or nil. Services
// are visited in name order so the answer is always the same.
func findCycle(f File) []string {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(string) []string
	visit = func(n string) []string {
		state[n] = onPath
		stack = append(stack, n)
		for _, d := range f[n].DependsOn {
			switch state[d] {
			case onPath:
				i := slices.Index(stack, d)
				return append(append([]string{}, stack[i:]...), d)
			case unseen:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return nil
	}
	for _, n := range f.Names() {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}
