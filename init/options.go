package rosinit

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/init/kmod"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/datasource"
	"github.com/ros-os/ros/internal/dockerd"
	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/internal/randseed"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/internal/svcrun"
	"github.com/ros-os/ros/upgrader/slotstate"
)

// engine is the Docker API calls PID 1 makes of System Docker (and of User
// Docker, to load its images); a *client.Client has them.
type engine interface {
	svcrun.Engine // starting a service
	ImageInspect(ctx context.Context, imageID string, inspectOpts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageLoad(ctx context.Context, input io.Reader, loadOpts ...client.ImageLoadOption) (image.LoadResponse, error)
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error
	ContainerWait(ctx context.Context, containerID string, condition container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
	ContainerStop(ctx context.Context, containerID string, options container.StopOptions) error
	Ping(ctx context.Context) (types.Ping, error)
}

// daemon is a supervised dockerd: Run starts it and returns once its API
// answers (it keeps running, restarted if it dies, even when Run fails),
// Stop stops it.
type daemon interface {
	Run(ctx context.Context, timeout time.Duration) (engine, error)
	Stop(timeout time.Duration)
}

// runner starts processes; PID 1's is the reaper, the only one that waits.
type runner interface {
	Start(*exec.Cmd) (<-chan unix.WaitStatus, error)
	Run(*exec.Cmd) error
}

// logger is where PID 1 logs: the console and /dev/kmsg (kmsg.Logger).
type logger interface {
	Printf(format string, a ...any)
	Banner(lines ...string)
}

// paths are the files and directories PID 1 reads and writes. The running
// system's are pathsUnder("/"): the names in internal/contract.
type paths struct {
	Root          string // where the system filesystems are mounted and the run-time directories made
	ServicesFile  string
	CatalogFile   string
	ImagesDir     string
	UserImages    string
	ModulesFile   string
	KernelModules string // /usr/lib/modules
	StateConfig   string
	LastGood      string
	Config        string
	ConfigErrors  string
	ConfigDir     string
	BootJSON      string
	Milestones    string
	StateDegraded string
	Resolv        string // the network service's resolv.conf
	ResolvConf    string // /etc/resolv.conf, a link to Resolv
	Hostname      string // /etc/hostname
	SSHKeysDir    string
	RegistryAuth  string // ros.registry_auths for ros
	Environment   string // ros.environment for login shells
	CertsDir      string // registries' certificates (certs.d)
	Home          string // the default user's home
	ProcSys       string // /proc/sys, where sysctls are written
	Watchdog      string
	State         string // remounted read-only at shutdown
	RandomSeed    string // for the next boot's initramfs (internal/randseed)
}

// pathsUnder is the paths of a root filesystem at root.
func pathsUnder(root string) paths {
	at := func(p string) string { return filepath.Join(root, p) }
	return paths{
		Root: root, ServicesFile: at(contract.ServicesFile), CatalogFile: at(contract.CatalogFile),
		ImagesDir: at(contract.ImagesDir), UserImages: at(contract.UserImages),
		ModulesFile: at(contract.ModulesFile), KernelModules: at("/usr/lib/modules"),
		StateConfig: at(contract.StateConfig), LastGood: at(contract.LastGood),
		Config: at(contract.Config), ConfigErrors: at(contract.ConfigErrors), ConfigDir: at(contract.ConfigDir),
		BootJSON: at(contract.BootJSON), Milestones: at(contract.Milestones), StateDegraded: at(contract.StateDegraded),
		Resolv: at(contract.Resolv), ResolvConf: at("/etc/resolv.conf"), Hostname: at("/etc/hostname"),
		SSHKeysDir: at(contract.SSHKeysDir), RegistryAuth: at(contract.RegistryAuth), CertsDir: at(contract.CertsDir),
		Environment: at(contract.Environment),
		Home:        at(contract.DefaultHome), ProcSys: at("/proc/sys"), Watchdog: at(watchdogDev),
		State: at(contract.State), RandomSeed: at(contract.RandomSeed),
	}
}

// options are what PID 1 reads and writes and the calls through which it
// acts on the machine: syscalls, processes, Docker and boot assessment.
// defaultOptions is the running system; tests point the paths into a
// temporary directory and replace the calls with fakes.
type options struct {
	paths
	proc         procsys.FS
	newLogger    func() logger
	reaper       runner // starts and waits for the processes PID 1 runs
	mount        func(source, target, fstype string, flags uintptr, data string) error
	sethostname  func([]byte) error
	reboot       func(cmd int) error
	chown        func(path string, uid, gid int) error
	output       func(*exec.Cmd) ([]byte, error) // a command run for its output (mount(8))
	loadKmods    func(dir string, names ...string) error
	configDrive  func(procsys.FS) (datasource.Data, error)
	metadata     func(context.Context) (datasource.Data, error) // the EC2-style metadata service
	systemDocker func(args, env []string, logf func(string, ...any)) daemon
	userDocker   func(ctx context.Context, dead <-chan struct{}) (engine, error)
	assess       func(booted slot.Slot, version string, healthy bool, reason string) (reboot bool, err error)
	gateTimeout  time.Duration // a slot not healthy by then is given up
	healthSettle time.Duration // how long services must stay up without a restart
	ifaceAddrs   func(name string) ([]net.Addr, error)
	dial         func(ctx context.Context, addr string) (net.Conn, error)
	netWait      time.Duration // how long the gate waits for an address and for sshd
	watchdogFD   int           // where the initramfs hands the armed watchdog over; 0: none
	pool         randseed.Pool // the kernel's random pool; nil: no seed is saved
}

func defaultOptions(r runner) options {
	return options{
		paths: pathsUnder("/"), proc: procsys.Host, newLogger: newLogger, reaper: r,
		mount: unix.Mount, sethostname: unix.Sethostname, reboot: unix.Reboot, chown: os.Chown,
		output: reapedOutput(r), loadKmods: kmod.Load, configDrive: findConfigDrive,
		metadata: datasource.NewMetadata().Fetch,
		systemDocker: func(args, env []string, logf func(string, ...any)) daemon {
			return newSystemDocker(args, env, logf, r)
		},
		userDocker: dialUserDocker, assess: slotstate.Assess,
		gateTimeout: gateTimeout, healthSettle: healthSettle,
		ifaceAddrs: interfaceAddrs, dial: dialTCP, netWait: netWait,
		watchdogFD: contract.WatchdogFD, pool: randseed.Kernel,
	}
}

func dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
}

func interfaceAddrs(name string) ([]net.Addr, error) {
	i, err := net.InterfaceByName(name)
	if err != nil {
		return nil, err
	}
	return i.Addrs()
}

func findConfigDrive(sys procsys.FS) (datasource.Data, error) {
	return datasource.FindDrive(datasource.BlockDevices(sys))
}

// dockerdDaemon is a dockerd.Daemon as a daemon.
type dockerdDaemon struct{ *dockerd.Daemon }

func newSystemDocker(args, env []string, logf func(string, ...any), start dockerd.Starter) daemon {
	return dockerdDaemon{&dockerd.Daemon{Name: "System Docker", Socket: contract.SystemDockerSock,
		Args: args, Env: env, Logf: logf, Start: start}}
}

func (d dockerdDaemon) Run(ctx context.Context, timeout time.Duration) (engine, error) {
	cli, err := d.Daemon.Run(ctx, timeout)
	if err != nil {
		return nil, err
	}
	return cli, nil
}

// dialUserDocker connects to User Docker once its API answers; dead makes
// the wait fail at once. The engine is an io.Closer.
func dialUserDocker(ctx context.Context, dead <-chan struct{}) (engine, error) {
	cli, err := client.NewClientWithOpts(client.WithHost("unix://"+contract.UserDockerSock), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, err
	}
	if err := dockerd.WaitAPI(ctx, cli, dead, 120*time.Second); err != nil {
		cli.Close()
		return nil, err
	}
	return cli, nil
}

// reapedOutput runs a command through the reaper (nothing else in PID 1
// may wait for a child) and returns its combined output. The output goes
// to a file, not a pipe: with a pipe, exec copies it in a goroutine that
// only cmd.Wait waits for.
func reapedOutput(r runner) func(*exec.Cmd) ([]byte, error) {
	return func(cmd *exec.Cmd) ([]byte, error) {
		f, err := os.CreateTemp("", "ros-init-output-*")
		if err != nil {
			return nil, fmt.Errorf("running %s: %w", cmd.Path, err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
		runErr := r.Run(cmd)
		out, err := os.ReadFile(f.Name())
		if err != nil {
			return nil, fmt.Errorf("running %s: %w", cmd.Path, err)
		}
		return out, runErr
	}
}
