package rosinit

import (
	"context"
	"os"
	"os/exec"
	"time"

	"github.com/ros-os/ros/internal/contract"
)

// consoleService is the system service that runs the logins and sshd.
const consoleService = "console"

// ensureConsole gives a machine a login even when its console service is
// not running once the boot is over: System Docker did not start, the
// console's container failed, or STATE is full. PID 1 then runs the
// console's entrypoint itself, on the root filesystem, so a person at the
// console can log in and repair.
func ensureConsole(st *state) {
	if consoleRunning(st) {
		return
	}
	st.log.Printf("the console service is not running: starting the logins on the console directly")
	cmd := exec.Command(contract.RosBinary, "console")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	if _, err := st.opts.reaper.Start(cmd); err != nil {
		st.log.Printf("starting the logins: %v", err)
	}
}

func consoleRunning(st *state) bool {
	if st.sys == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := st.sys.ContainerInspect(ctx, consoleService)
	return err == nil && info.State != nil && info.State.Running
}
