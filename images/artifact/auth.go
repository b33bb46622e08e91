package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/docker/cli/cli/config"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// authFile is a keychain reading the "auths" of a Docker config.json at
// its path, when asked (it may change between requests); a missing file
// holds no credentials.
type authFile string

func (f authFile) Resolve(r authn.Resource) (authn.Authenticator, error) {
	file, err := os.Open(string(f))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) { // not this user's: root's
		return authn.Anonymous, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading registry credentials: %w", err)
	}
	defer file.Close()
	cf, err := config.LoadFromReader(file)
	if err != nil {
		return nil, fmt.Errorf("reading registry credentials %s: %w", f, err)
	}
	key := r.RegistryStr()
	if key == name.DefaultRegistry {
		key = authn.DefaultAuthKey
	}
	ac, ok := cf.AuthConfigs[key]
	if !ok {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
		IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}), nil
}
