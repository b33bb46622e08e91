package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ros-os/ros/internal/services"
)

// dockerService is the service of User Docker, which ros.docker configures.
const dockerService = "docker"

// Services is the set of system services that c gives, on top of the
// image's built-in services and its catalog:
//   - builtin, plus the catalog services enabled in ros.services_include
//     (false leaves one out; only catalog services can be left out),
//   - plus ros.services, each replacing a service of the same name whole;
//   - the docker service gets ros.docker.args appended to its command (and
//     their count in DockerArgsEnv) and ros.docker.environment over its
//     environment;
//   - every service gets the ros.environment variables it does not set.
//
// The result is checked with services.Validate. The arguments are not
// changed.
func (c Config) Services(builtin, catalog services.File) (services.File, error) {
	f, err := c.included(builtin, catalog)
	if err != nil {
		return nil, err
	}
	f = services.Merge(f, c.Ros.Services)
	if err := c.configureDocker(f); err != nil {
		return nil, err
	}
	for name, s := range f {
		s.Environment = setEnv(s.Environment, c.Ros.Environment, false)
		f[name] = s
	}
	if err := services.Validate(f); err != nil {
		return nil, fmt.Errorf("checking the system services: %w", err)
	}
	return f, nil
}

// included is builtin with the catalog services of ros.services_include.
func (c Config) included(builtin, catalog services.File) (services.File, error) {
	f := services.Merge(builtin, nil)
	for _, name := range sortedKeys(c.Ros.ServicesInclude) {
		enabled := c.Ros.ServicesInclude[name]
		_, isBuiltin := builtin[name]
		s, inCatalog := catalog[name]
		switch {
		case !enabled && isBuiltin:
			return nil, fmt.Errorf("ros.services_include: %q is a built-in service and cannot be disabled: remove it from ros.services_include", name)
		case !inCatalog:
			return nil, fmt.Errorf("ros.services_include: no service %q in the catalog (see ros service list)", name)
		case enabled:
			f[name] = s
		}
	}
	return f, nil
}

// DockerArgsEnv tells the docker service how many of its last arguments
// come from ros.docker.args, so it can start User Docker without them if
// they keep it from starting.
const DockerArgsEnv = "ROS_DOCKER_CONFIG_ARGS"

// configureDocker applies ros.docker to the docker service of f.
func (c Config) configureDocker(f services.File) error {
	d := c.Ros.Docker
	if len(d.Args) == 0 && len(d.Environment) == 0 {
		return nil
	}
	s, ok := f[dockerService]
	if !ok {
		return fmt.Errorf("ros.docker: there is no %q service to give the arguments and environment to", dockerService)
	}
	s.Command = append(slices.Clip(s.Command), d.Args...)
	s.Environment = setEnv(s.Environment, d.Environment, true)
	if len(d.Args) > 0 {
		count := fmt.Sprintf("%s=%d", DockerArgsEnv, len(d.Args))
		s.Environment = setEnv(s.Environment, services.Environment{count}, true)
	}
	f[dockerService] = s
	return nil
}

// setEnv is env with the KEY=VALUE entries of vars added; a key env already
// has is replaced if override, else left alone. env is not changed.
func setEnv(env, vars services.Environment, override bool) services.Environment {
	out := slices.Clone(env)
	for _, v := range vars {
		k, _, _ := strings.Cut(v, "=")
		i := slices.IndexFunc(out, func(e string) bool { return strings.HasPrefix(e, k+"=") })
		switch {
		case i < 0:
			out = append(out, v)
		case override:
			out[i] = v
		}
	}
	return out
}
