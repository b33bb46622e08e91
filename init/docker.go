package rosinit

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/services"
)

// systemDockerArgs: system services use the host network, so System Docker
// needs no bridge or iptables rules (which cost seconds under TCG).
var systemDockerArgs = []string{
	"--data-root=" + contract.SystemDockerData,
	"--exec-root=" + contract.SystemDockerDir + "/exec",
	"--pidfile=" + contract.SystemDockerDir + "/docker.pid",
	"--bridge=none", "--iptables=false", "--ip-masq=false", "--userland-proxy=false",
	"--group=docker", "--log-level=warn",
	// The services' logs are bounded: 3 files of 10 MB each (json-file).
	"--log-opt=max-size=10m", "--log-opt=max-file=3",
}

// startSystemDocker starts System Docker with the cloud-config's
// ros.system_docker settings; if it does not come up with them, it tries
// once more without, so a bad argument cannot take the console away.
func startSystemDocker(ctx context.Context, st *state) error {
	extra := st.cfg.Ros.SystemDocker
	cli, err := runSystemDocker(ctx, st, extra.Args, extra.Environment)
	if err != nil && (len(extra.Args) > 0 || len(extra.Environment) > 0) {
		st.log.Printf("System Docker did not start with ros.system_docker of the cloud-config (%v): starting it without", err)
		st.sysDocker.Stop(10 * time.Second)
		cli, err = runSystemDocker(ctx, st, nil, nil)
	}
	if err != nil {
		return err
	}
	st.sys = cli
	st.mark("system-docker")
	return nil
}

func runSystemDocker(ctx context.Context, st *state, args, env []string) (engine, error) {
	st.sysDocker = st.opts.systemDocker(append(append([]string(nil), systemDockerArgs...), args...), env, st.log.Printf)
	return st.sysDocker.Run(ctx, 60*time.Second)
}

// loadImages loads each service image archive whose ros/NAME:TAG System
// Docker does not have yet: once per OS version, not on every boot.
func loadImages(ctx context.Context, st *state) error {
	return loadArchives(ctx, st, st.sys, st.opts.ImagesDir, func(name string) string {
		return contract.ServiceImageRepo + name + ":" + services.ImageTag(buildinfo.Version)
	})
}

// loadArchives loads each DIR/NAME.tar whose image ref(NAME) cli lacks.
func loadArchives(ctx context.Context, st *state, cli engine, dir string, ref func(string) string) error {
	archives, err := filepath.Glob(filepath.Join(dir, "*.tar"))
	if err != nil {
		return err
	}
	for _, a := range archives {
		r := ref(strings.TrimSuffix(filepath.Base(a), ".tar"))
		if _, err := cli.ImageInspect(ctx, r); err == nil {
			continue
		}
		if err := loadImage(ctx, cli, a); err != nil {
			return err
		}
		st.log.Printf("loaded %s", r)
	}
	return nil
}

func loadImage(ctx context.Context, cli engine, archive string) error {
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("loading %s: %w", archive, err)
	}
	defer f.Close()
	resp, err := cli.ImageLoad(ctx, f, client.ImageLoadWithQuiet(true))
	if err != nil {
		return fmt.Errorf("loading %s: %w", archive, err)
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
