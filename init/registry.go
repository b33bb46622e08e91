package rosinit

import (
	"fmt"
	"os"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"

	"github.com/ros-os/ros/internal/config"
)

// applyRegistryAuths writes ros.registry_auths as a root-only Docker
// config.json (RegistryAuth), which ros os upgrade|list and ros install
// read and the console merges into the default user's ~/.docker for the
// docker CLI of both daemons. It also makes the certs.d directory both
// daemons and ros read registries' CAs from.
func applyRegistryAuths(st *state, c config.Config) error {
	if err := os.MkdirAll(st.opts.CertsDir, 0o755); err != nil {
		return err
	}
	all := configfile.New(st.opts.RegistryAuth)
	for host, a := range c.Ros.RegistryAuths {
		user, password, err := a.Credentials()
		if err != nil {
			st.log.Printf("cloud-config: ros.registry_auths.%s: %v", host, err)
			continue
		}
		all.AuthConfigs[host] = types.AuthConfig{Username: user, Password: password}
	}
	if err := all.Save(); err != nil { // 0600
		return fmt.Errorf("ros.registry_auths: %w", err)
	}
	return nil
}
