// Package svcrun runs system services as containers of System Docker; PID 1
// and ros service share it.
package svcrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ros-os/ros/internal/services"
)

// Engine is the Docker API calls Ensure makes; a *client.Client of System
// Docker has them.
type Engine interface {
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
	ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig,
		networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, containerID string, options container.StartOptions) error
	ImagePull(ctx context.Context, refStr string, options image.PullOptions) (io.ReadCloser, error)
}

// Ensure creates the service's container if needed and starts it. A
// container of an older definition (the config changed) is recreated. An
// image System Docker lacks is pulled with the credentials authFile (a
// Docker config.json, ros.registry_auths; "" or missing: none) holds for
// its registry.
func Ensure(ctx context.Context, cli Engine, name string, s services.Service, version, authFile string) error {
	cfg, host := s.ContainerSpec(name, version)
	info, err := cli.ContainerInspect(ctx, name)
	switch {
	case err == nil && info.Config.Labels[services.LabelSpec] != cfg.Labels[services.LabelSpec]:
		if err := cli.ContainerRemove(ctx, name, container.RemoveOptions{Force: true}); err != nil {
			return fmt.Errorf("replacing service %s: %w", name, err)
		}
		fallthrough
	case errdefs.IsNotFound(err):
		if err := createService(ctx, cli, name, cfg, host, authFile); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("inspecting service %s: %w", name, err)
	case info.State.Running:
		return nil
	}
	if err := cli.ContainerStart(ctx, name, container.StartOptions{}); err != nil {
		return fmt.Errorf("starting service %s: %w", name, err)
	}
	return nil
}

// createService creates the container, pulling its image first if System
// Docker lacks it (a service from the cloud-config).
func createService(ctx context.Context, cli Engine, name string, cfg *container.Config, host *container.HostConfig, authFile string) error {
	_, err := cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if errdefs.IsNotFound(err) {
		if err = pullImage(ctx, cli, cfg.Image, authFile); err != nil {
			return fmt.Errorf("creating service %s: pulling %s: %w", name, cfg.Image, err)
		}
		_, err = cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	}
	if err != nil {
		return fmt.Errorf("creating service %s: %w", name, err)
	}
	return nil
}

func pullImage(ctx context.Context, cli Engine, ref, authFile string) error {
	auth, err := registryAuth(authFile, ref)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	rc, err := cli.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: auth})
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// registryAuth is the encoded X-Registry-Auth of what authFile holds for
// ref's registry, "" if nothing (Docker Hub's key is the docker CLI's).
func registryAuth(authFile, ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if authFile == "" || err != nil { // System Docker says what is wrong with ref
		return "", nil
	}
	f, err := os.Open(authFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading registry credentials: %w", err)
	}
	defer f.Close()
	cf, err := config.LoadFromReader(f)
	if err != nil {
		return "", fmt.Errorf("reading registry credentials %s: %w", authFile, err)
	}
	host := reference.Domain(named)
	keys := []string{host}
	if host == "docker.io" {
		keys = []string{"https://index.docker.io/v1/", "docker.io", "index.docker.io"}
	}
	for _, k := range keys {
		if a, ok := cf.AuthConfigs[k]; ok {
			return registry.EncodeAuthConfig(registry.AuthConfig{Username: a.Username, Password: a.Password,
				Auth: a.Auth, ServerAddress: host, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken})
		}
	}
	return "", nil
}

// pullTimeout bounds pulling a service image at boot.
const pullTimeout = 2 * time.Minute

// ReadFiles reads and parses service files (the image's services.yaml
// and catalog.yaml), in the order given.
func ReadFiles(paths ...string) ([]services.File, error) {
	files := make([]services.File, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading the services of this image: %w", err)
		}
		f, err := services.Parse(p, data)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}
