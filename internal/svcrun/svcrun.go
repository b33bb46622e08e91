// Package svcrun runs system services as containers of System Docker; PID 1
// and ros service share it.
package svcrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
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
// container of an older definition (the config changed) is recreated.
func Ensure(ctx context.Context, cli Engine, name string, s services.Service, version string) error {
	cfg, host := s.ContainerSpec(name, version)
	info, err := cli.ContainerInspect(ctx, name)
	switch {
	case err == nil && info.Config.Labels[services.LabelSpec] != cfg.Labels[services.LabelSpec]:
		if err := cli.ContainerRemove(ctx, name, container.RemoveOptions{Force: true}); err != nil {
			return fmt.Errorf("replacing service %s: %w", name, err)
		}
		fallthrough
	case errdefs.IsNotFound(err):
		if err := createService(ctx, cli, name, cfg, host); err != nil {
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
func createService(ctx context.Context, cli Engine, name string, cfg *container.Config, host *container.HostConfig) error {
	_, err := cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if errdefs.IsNotFound(err) {
		if err = pullImage(ctx, cli, cfg.Image); err != nil {
			return fmt.Errorf("creating service %s: pulling %s: %w", name, cfg.Image, err)
		}
		_, err = cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	}
	if err != nil {
		return fmt.Errorf("creating service %s: %w", name, err)
	}
	return nil
}

func pullImage(ctx context.Context, cli Engine, ref string) error {
	ctx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	rc, err := cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
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
