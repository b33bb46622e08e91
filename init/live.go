package rosinit

import (
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/contract"
)

// Kernel arguments of an unattended install from the live medium
// (mkimage iso --append): ros.install.device=DISK installs the image the
// medium carries onto DISK once the live system is up, with the
// cloud-config ros.cloud_config names (a file, on the medium, or a URL), then powers
// off; ros.install.force overwrites a disk that holds data.
const (
	installDeviceArg = "ros.install.device"
	installForceArg  = "ros.install.force"
)

// installArgs is the ros install command line an unattended install runs,
// nil when the command line asks for none (or this is no live system).
func installArgs(args map[string]string) []string {
	if _, live := args[contract.LiveArg]; !live || args[installDeviceArg] == "" {
		return nil
	}
	cmd := []string{"install", "--device", args[installDeviceArg]}
	if c := args[cmdlineConfig]; strings.HasPrefix(c, "/") || strings.HasPrefix(c, "http://") || strings.HasPrefix(c, "https://") {
		cmd = append(cmd, "--cloud-config", c)
	}
	if _, ok := args[installForceArg]; ok {
		cmd = append(cmd, "--force")
	}
	return cmd
}

// unattendedInstall runs the install the command line asks for and
// reports whether to power off: only after it succeeded. A failed one
// leaves the live system up, its console saying why.
func unattendedInstall(st *state) (os.Signal, bool) {
	args := installArgs(st.cmdline.Args)
	if args == nil {
		return nil, false
	}
	st.log.Printf("unattended install: ros %s", strings.Join(args, " "))
	out, err := st.opts.output(exec.Command(contract.RosBinary, args...))
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.Contains(line, "\r") {
			st.log.Printf("unattended install: %s", line)
		}
	}
	if err != nil {
		st.log.Printf("FATAL: unattended install onto %s failed (%v): the live system stays up; fix the command line or install by hand: sudo ros install -d DISK",
			st.cmdline.Args[installDeviceArg], err)
		return nil, false
	}
	st.log.Printf("unattended install onto %s done: powering off; remove the medium and boot the disk", st.cmdline.Args[installDeviceArg])
	return unix.SIGPWR, true
}
