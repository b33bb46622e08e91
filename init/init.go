// Package rosinit is PID 1 of ros on the real root filesystem (the system
// stage; the initramfs stage is init/early). It brings up System Docker, the
// system services and User Docker, records boot milestones, and shuts down
// in order. Package name differs from the folder because "init" is reserved
// in Go.
package rosinit

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/init/reaper"
	"github.com/ros-os/ros/internal/bootlog"
	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/internal/services"
)

// step is one stage of bringing the system up; they run in table order.
type step struct {
	name string
	run  func(context.Context, *state) error
}

// state is what the steps share.
type state struct {
	opts         options
	log          logger
	cmdline      procsys.Cmdline
	cfg          config.Config // the cloud-config applied at this boot
	serviceFile  services.File // the services to run: built-in, catalog, config
	coreServices services.File // the built-in ones, which the health gate covers
	modules      *background   // the kernel modules loading while System Docker starts
	sysDocker    daemon
	sys          engine
	milestones   []Milestone
	steps        []bootlog.Step     // the boot steps run so far, with their start and end
	services     []string           // long-running core services that started, in start order
	serviceErrs  []error            // core services that failed to start
	cancel       context.CancelFunc // stops the boot steps; runcmd runs on under their context
	failed       string             // the step that failed, if any
	reason       string             // why it failed
}

var steps = []step{
	{"mounting the system filesystems", mountSystem},
	{"reading the kernel command line", readCmdline},
	{"growing STATE's filesystem", growStateFS},
	{"loading kernel modules", loadModules},
	{"arming the watchdog", startWatchdog},
	{"reading the cloud-config", readConfig},
	{"setting up the host", setupHost},
	{"applying the cloud-config", applyConfig},
	{"running bootcmd", runBootcmd},
	{"starting System Docker", startSystemDocker},
	{"loading system images", loadImages},
	{"waiting for kernel modules", waitModules},
	{"starting system services", startServices},
	{"waiting for User Docker", waitUserDocker},
	{"checking health", checkHealth},
	{"starting runcmd", startRuncmd},
}

// Main runs the boot steps, then waits for a shutdown signal. It never
// returns and never exits: on a fatal error it logs and keeps the system up
// as far as it got (the upgrade logic reverts the boot entry).
func Main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGPWR)
	os.Setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
	run(defaultOptions(reaper.New()), steps, sigs)
	select {} // reboot(2) failed: PID 1 must not exit
}

// run boots with the table of steps, hands the verdict to boot assessment
// and shuts down: at once if assessment gives this slot up, else on a
// signal.
func run(opts options, table []step, sigs <-chan os.Signal) {
	st := &state{opts: opts, log: opts.newLogger()}
	boot(st, table)
	if assess(st) {
		shutdown(st, unix.SIGTERM)
		return
	}
	ensureConsole(st)
	writeBootJSON(st)
	if sig, ok := unattendedInstall(st); ok {
		shutdown(st, sig)
		return
	}
	shutdown(st, <-sigs)
}

// boot runs the table of steps, failing the health gate if they are not
// done within its timeout (the gate's software watchdog).
func boot(st *state, table []step) {
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	done := make(chan struct{})
	go func() {
		runSteps(ctx, st, table)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(st.opts.gateTimeout):
		stopSteps(done, st)
		st.failed, st.reason = "health gate", fmt.Sprintf("not healthy %s after init started", st.opts.gateTimeout)
		st.log.Printf("FATAL: %s", st.reason)
	}
}

// stopSteps cancels the boot steps and waits a while for them to return,
// so the state they share with Main is no longer written to. A step stuck
// where the context does not reach is left behind.
func stopSteps(done <-chan struct{}, st *state) {
	st.cancel()
	select {
	case <-done:
	case <-time.After(stepsStopTimeout):
		st.log.Printf("the boot step in progress did not stop in %s", stepsStopTimeout)
	}
}

// stepsStopTimeout bounds the wait for a cancelled step.
const stepsStopTimeout = 30 * time.Second

// gateTimeout bounds the boot: a slot that is not healthy by then is given up.
const gateTimeout = 5 * time.Minute

func runSteps(ctx context.Context, st *state, table []step) {
	for _, s := range table {
		if ctx.Err() != nil {
			return
		}
		st.steps = append(st.steps, bootlog.Step{Name: s.name, Start: st.opts.proc.Uptime()})
		err := s.run(ctx, st)
		done := &st.steps[len(st.steps)-1]
		done.End = st.opts.proc.Uptime()
		if err != nil {
			done.Err = err.Error()
			st.log.Printf("FATAL: %s: %v", s.name, err)
			st.failed, st.reason = s.name, fmt.Sprintf("%s: %v", s.name, err)
			return
		}
	}
}

// assess hands the gate's verdict to boot assessment and reports whether
// this slot is given up (then the machine reboots into the other one).
func assess(st *state) bool {
	if st.cmdline.Has(contract.LiveArg) {
		return false // a live system has no slots: its medium is read-only
	}
	reboot, err := st.opts.assess(st.cmdline.Slot, buildinfo.Version, st.failed == "", st.reason)
	if err != nil {
		// A slot already marked bad is given up even if the record could
		// not be saved after: the other slot then reports what it can.
		st.log.Printf("boot assessment: %v", err)
	}
	if reboot {
		st.log.Printf("giving up slot %s (%s): rebooting into the other slot", st.cmdline.Slot, st.reason)
	}
	return reboot
}

func readCmdline(_ context.Context, st *state) error {
	c, err := st.opts.proc.Cmdline()
	if err != nil {
		return err
	}
	st.cmdline = c
	return nil
}
