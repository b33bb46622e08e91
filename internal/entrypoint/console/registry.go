package console

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	dockerconfig "github.com/docker/cli/cli/config"

	"github.com/ros-os/ros/internal/contract"
)

// mergeRegistryAuths adds the credentials of ros.registry_auths (the
// Docker config.json PID 1 wrote at from) to the default user's docker
// CLI config in dir, so that docker and system-docker pull from those
// registries; the user's own logins stay.
func mergeRegistryAuths(from, dir string) error {
	f, err := os.Open(from)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ros.registry_auths: %w", err)
	}
	defer f.Close()
	auths, err := dockerconfig.LoadFromReader(f)
	if err != nil {
		return fmt.Errorf("ros.registry_auths: %s: %w", from, err)
	}
	if len(auths.AuthConfigs) == 0 {
		return nil
	}
	mine, err := dockerconfig.Load(dir)
	if err != nil {
		return fmt.Errorf("ros.registry_auths: the docker CLI's config: %w", err)
	}
	for host, a := range auths.AuthConfigs {
		mine.AuthConfigs[host] = a
	}
	if err := mine.Save(); err != nil { // 0600, through a rename
		return fmt.Errorf("ros.registry_auths: %w", err)
	}
	for _, p := range []string{dir, mine.Filename} {
		if err := os.Chown(p, contract.DefaultUID, contract.DefaultGID); err != nil {
			return fmt.Errorf("ros.registry_auths: %w", err)
		}
	}
	return nil
}
