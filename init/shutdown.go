package rosinit

import (
	"context"
	"os"
	"time"

	"github.com/docker/docker/api/types/container"
	"golang.org/x/sys/unix"
)

// Signals PID 1 takes, as busybox init does: SIGTERM and SIGINT (also
// ctrl-alt-del) reboot, SIGUSR2 and SIGPWR power off, SIGUSR1 halts.
func rebootCmd(sig os.Signal) (int, string) {
	switch sig {
	case unix.SIGUSR2, unix.SIGPWR:
		return unix.LINUX_REBOOT_CMD_POWER_OFF, "powering off"
	case unix.SIGUSR1:
		return unix.LINUX_REBOOT_CMD_HALT, "halting"
	}
	return unix.LINUX_REBOOT_CMD_RESTART, "rebooting"
}

// shutdownOrder is the services in stop order: User Docker first (it stops
// the user's containers), then the others in reverse start order.
func shutdownOrder(started []string) []string {
	order := []string{}
	for _, s := range started {
		if s == "docker" {
			order = append(order, s)
		}
	}
	for i := len(started) - 1; i >= 0; i-- {
		if started[i] != "docker" {
			order = append(order, started[i])
		}
	}
	return order
}

// shutdown stops User Docker, the services and System Docker in order,
// syncs, makes STATE read-only and reboots or powers off. It returns only
// if reboot(2) fails.
func shutdown(st *state, sig os.Signal) {
	cmd, what := rebootCmd(sig)
	st.log.Printf("%s: stopping services", what)
	if st.sys != nil {
		stopServices(st)
	}
	if st.sysDocker != nil {
		st.sysDocker.Stop(20 * time.Second)
	}
	unix.Sync()
	if err := st.opts.mount("", st.opts.State, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		st.log.Printf("making STATE read-only: %v", err)
	}
	unix.Sync()
	st.log.Printf("%s", what)
	if err := st.opts.reboot(cmd); err != nil {
		st.log.Printf("reboot(2): %v", err)
	}
}

func stopServices(st *state) {
	timeout := 20
	for _, name := range shutdownOrder(st.services) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := st.sys.ContainerStop(ctx, name, container.StopOptions{Timeout: &timeout}); err != nil {
			st.log.Printf("stopping %s: %v", name, err)
		}
		cancel()
	}
}
