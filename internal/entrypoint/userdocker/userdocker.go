// Package userdocker is the entrypoint of the docker system service: it
// gives the container's cgroup its controllers (docker-in-docker on cgroup
// v2) and runs User Docker, without ros.docker.args if dockerd dies of them.
package userdocker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/client"
	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/dockerd"
)

// Run runs dockerd with args; the last $ROS_DOCKER_ARGS of them
// (config.DockerArgsEnv) come from ros.docker.args and are dropped if
// dockerd dies of them before its API answers. Without such arguments it
// execs dockerd.
func Run(ctx context.Context, args []string) error {
	if err := nestCgroups("/sys/fs/cgroup"); err != nil {
		return err
	}
	if n, _ := strconv.Atoi(os.Getenv(config.DockerArgsEnv)); n > 0 && n <= len(args) {
		err := superviseDockerd(ctx, dockerdPath, contract.UserDockerSock, args)
		if !errors.Is(err, dockerd.ErrDied) {
			return err
		}
		fmt.Fprintf(os.Stderr, "user-docker: User Docker did not start with ros.docker.args %q (%v): starting it without them\n", args[len(args)-n:], err)
		args = args[:len(args)-n]
	}
	argv := append([]string{"dockerd"}, args...)
	return unix.Exec(dockerdPath, argv, os.Environ())
}

const dockerdPath = "/usr/sbin/dockerd"

// superviseDockerd runs dockerd (binary, answering on socket) as a child until it exits, passing on the
// signals that stop it. It fails with dockerd.ErrDied if dockerd exits
// before its API answers (bad arguments, say).
func superviseDockerd(ctx context.Context, binary, socket string, args []string) error {
	d := exec.Command(binary, args...)
	d.Stdout, d.Stderr = os.Stdout, os.Stderr
	if err := d.Start(); err != nil {
		return fmt.Errorf("starting dockerd: %w", err)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT)
	go func() {
		for s := range sigs {
			_ = d.Process.Signal(s)
		}
	}()
	dead, exit := make(chan struct{}), make(chan error, 1)
	go func() { exit <- d.Wait(); close(dead) }()
	cli, err := client.NewClientWithOpts(client.WithHost("unix://"+socket), client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	if err := dockerd.WaitAPI(ctx, cli, dead, 2*time.Minute); err != nil {
		if errors.Is(err, dockerd.ErrDied) {
			return fmt.Errorf("%w: %v", err, <-exit)
		}
		return err
	}
	return <-exit
}

// nestCgroups is the docker-in-docker fix for cgroup v2: a cgroup with
// processes cannot delegate controllers, so move every process of this
// container into a child cgroup, then enable all controllers for children.
func nestCgroups(root string) error {
	if _, err := os.Stat(root + "/cgroup.controllers"); err != nil {
		return nil // not cgroup v2
	}
	if err := os.MkdirAll(root+"/init", 0o755); err != nil {
		return fmt.Errorf("creating the init cgroup: %w", err)
	}
	for i := 0; ; i++ {
		err := moveProcs(root)
		if err == nil {
			break
		}
		if i == 50 {
			return err
		}
		time.Sleep(20 * time.Millisecond) // processes may come and go meanwhile
	}
	ctrl, err := os.ReadFile(root + "/cgroup.controllers")
	if err != nil {
		return fmt.Errorf("reading cgroup controllers: %w", err)
	}
	var enable []string
	for _, c := range strings.Fields(string(ctrl)) {
		enable = append(enable, "+"+c)
	}
	if err := os.WriteFile(root+"/cgroup.subtree_control", []byte(strings.Join(enable, " ")), 0o644); err != nil {
		return fmt.Errorf("enabling cgroup controllers %v: %w", enable, err)
	}
	return nil
}

func moveProcs(root string) error {
	procs, err := os.ReadFile(root + "/cgroup.procs")
	if err != nil {
		return fmt.Errorf("reading cgroup.procs: %w", err)
	}
	for _, pid := range strings.Fields(string(procs)) {
		if err := os.WriteFile(root+"/init/cgroup.procs", []byte(pid), 0o644); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("moving process %s to the init cgroup: %w", pid, err)
		}
	}
	return nil
}
