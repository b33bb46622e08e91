package rosinit

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker/docker/client"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/ros-os/ros/internal/contract"
)

// systemDockerArgs: system services use the host network, so System Docker
// needs no bridge or iptables rules (which cost seconds under TCG).
var systemDockerArgs = []string{
	"--data-root=" + contract.SystemDockerData,
	"--exec-root=" + contract.SystemDockerDir + "/exec",
	"--pidfile=" + contract.SystemDockerDir + "/docker.pid",
	"--bridge=none", "--iptables=false", "--ip-masq=false", "--userland-proxy=false",
	"--group=docker", "--log-level=warn",
	// Containers run with crun: under TCG a container started ~1.5 s sooner
	// than with runc (a Go binary, started three times per container);
	// runc stays registered (docker run --runtime=runc). docs/benchmarks.md.
	"--add-runtime=crun=" + contract.Crun, "--default-runtime=crun",
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

// loadImages loads the service images System Docker does not have yet:
// once per OS version, not on every boot.
func loadImages(ctx context.Context, st *state) error {
	return loadLayout(ctx, st, st.sys, st.opts.ImagesDir)
}

// loadLayout loads into cli, in one docker load, each image of the OCI
// layout dir that it lacks, by the name the layout gives it
// (contract.ImageRefName), and checks that cli then has them.
func loadLayout(ctx context.Context, st *state, cli engine, dir string) error {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return fmt.Errorf("loading the images of %s: %w", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return fmt.Errorf("loading the images of %s: %w", dir, err)
	}
	missing := map[name.Reference]v1.Image{}
	var names []string
	for _, d := range m.Manifests {
		r := d.Annotations[contract.ImageRefName]
		tag, err := name.NewTag(r)
		if err != nil {
			return fmt.Errorf("loading the images of %s: image %s has no name: %w", dir, d.Digest, err)
		}
		if _, err := cli.ImageInspect(ctx, r); err == nil {
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return fmt.Errorf("loading %s from %s: %w", r, dir, err)
		}
		missing[tag], names = img, append(names, r)
	}
	if len(missing) == 0 {
		return nil
	}
	what := strings.Join(names, ", ")
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarball.MultiRefWrite(missing, pw)) }()
	resp, err := cli.ImageLoad(ctx, pr, client.ImageLoadWithQuiet(true))
	if err != nil {
		pr.CloseWithError(err)
		return fmt.Errorf("loading %s from %s: %w", what, dir, err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe) // ends the writer if the daemon stopped reading
	if err != nil {
		return fmt.Errorf("loading %s from %s: %w", what, dir, err)
	}
	for _, r := range names { // docker load reports a bad archive in its output, not its status
		if _, err := cli.ImageInspect(ctx, r); err != nil {
			return fmt.Errorf("loading %s from %s: the daemon does not have it after docker load: %w", r, dir, err)
		}
	}
	st.log.Printf("loaded %s", what)
	return nil
}
