package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// newUserDockerCmd is the entrypoint of the User Docker service container.
func newUserDockerCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "user-docker [DOCKERD ARGS]",
		Short:              "Run User Docker (the entrypoint of the docker system service)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := nestCgroups("/sys/fs/cgroup"); err != nil {
				return err
			}
			argv := append([]string{"dockerd"}, args...)
			return unix.Exec("/usr/sbin/dockerd", argv, os.Environ())
		},
	}
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
