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

	"github.com/ros-os/ros/init/dockerd"
	"github.com/ros-os/ros/init/services"
	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/rospath"
)

// systemDockerArgs: system services use the host network, so System Docker
// needs no bridge or iptables rules (which cost seconds under TCG).
var systemDockerArgs = []string{
	"--data-root=" + rospath.SystemDockerData,
	"--exec-root=" + rospath.SystemDockerDir + "/exec",
	"--pidfile=" + rospath.SystemDockerDir + "/docker.pid",
	"--bridge=none", "--iptables=false", "--ip-masq=false", "--userland-proxy=false",
	"--group=docker", "--log-level=warn",
}

func startSystemDocker(ctx context.Context, st *state) error {
	st.sysDocker = &dockerd.Daemon{Name: "System Docker", Socket: rospath.SystemDockerSock,
		Args: systemDockerArgs, Logf: st.log.Printf, Start: st.reaper}
	cli, err := st.sysDocker.Run(ctx, 60*time.Second)
	if err != nil {
		return err
	}
	st.sys = cli
	st.mark("system-docker")
	return nil
}

// loadImages loads each service image archive whose ros/NAME:TAG System
// Docker does not have yet: once per OS version, not on every boot.
func loadImages(ctx context.Context, st *state) error {
	return loadArchives(ctx, st, st.sys, rospath.ImagesDir, func(name string) string {
		return "ros/" + name + ":" + services.ImageTag(buildinfo.Version)
	})
}

// loadArchives loads each DIR/NAME.tar whose image ref(NAME) cli lacks.
func loadArchives(ctx context.Context, st *state, cli *client.Client, dir string, ref func(string) string) error {
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

func loadImage(ctx context.Context, cli *client.Client, archive string) error {
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
