package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/configstore"
	"github.com/ros-os/ros/internal/contract"
)

// proxyVars is the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, in
// either case) of env, a ros.environment, that lookup does not have: the
// services get ros.environment, but a login or ssh session does not.
func proxyVars(env []string, lookup func(string) (string, bool)) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY":
			if _, set := lookup(k); !set {
				out = append(out, kv)
			}
		}
	}
	return out
}

// skipSignatureUsage is the help of trust.SkipFlag.
const skipSignatureUsage = "do not check the image's signature (development only: any image is written)"

// machineKeys are the keys the running machine trusts for its upgrades:
// those of the image (trust.Dir) and ros.upgrade.trust of the
// cloud-config, or only the latter with ros.upgrade.replace_trust.
func machineKeys() ([]signature.Key, error) {
	cfg, err := configstore.Default().Effective()
	if err != nil {
		cfg = config.Config{} // a bad cloud-config trusts nothing more; the image's keys stay
	}
	return keysOf(trust.Dir, cfg.Ros.Upgrade)
}

// keysOf is the keys in dir (none if it does not exist) with those of u.
func keysOf(dir string, u config.Upgrade) ([]signature.Key, error) {
	var keys []signature.Key
	if !u.ReplaceTrust {
		k, err := signature.LoadKeys(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading the trusted keys: %w", err)
		}
		keys = k
	}
	for i, pem := range u.Trust {
		k, err := signature.ParsePublicKey(fmt.Sprintf("ros.upgrade.trust[%d]", i), []byte(pem))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// policy is the trust policy for keys; skip turns the check off with a
// warning to w, prefixed by what is running (ros os upgrade).
func policy(keys []signature.Key, skip bool, w io.Writer, prefix string) trust.Policy {
	return trust.Policy{Keys: keys, Skip: skip, Warn: func(f string, a ...any) { fmt.Fprintf(w, prefix+": "+f+"\n", a...) }}
}

// givenKeys reads the public keys of --trust (files or directories of
// *.pub); without any, the machine's own (trust.Dir on a live system).
func givenKeys(paths []string) ([]signature.Key, error) {
	if len(paths) == 0 {
		if _, err := os.Stat(trust.Dir); err != nil {
			return nil, nil
		}
		paths = []string{trust.Dir}
	}
	keys, err := signature.LoadKeys(paths...)
	if err != nil {
		return nil, fmt.Errorf("--trust: %w", err)
	}
	return keys, nil
}

// registryOpts are how ros reaches registries: the CAs and client
// certificates of /etc/docker/certs.d, the user's docker logins and then
// ros.registry_auths (written by PID 1, readable by root), plain HTTP
// with insecure, and the proxy of ros.environment unless the
// environment already names one.
func registryOpts(insecure bool) []artifact.Option {
	if cfg, err := configstore.Default().Effective(); err == nil {
		for _, kv := range proxyVars(cfg.Ros.Environment, os.LookupEnv) {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
	}
	opts := []artifact.Option{artifact.WithAuthFile(contract.RegistryAuth)}
	if insecure {
		opts = append(opts, artifact.WithInsecure())
	}
	return opts
}
