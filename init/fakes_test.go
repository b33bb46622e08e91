package rosinit

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/datasource"
	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/internal/services"
	"github.com/ros-os/ros/internal/slot"
)

var _ engine = (*client.Client)(nil)

// fakeEngine is a Docker daemon in memory: containers by name, images by
// reference, and a record of what PID 1 asked of it. An image archive
// loaded into it holds the reference of its image as its only content.
type fakeEngine struct {
	mu         sync.Mutex
	containers map[string]*fakeContainer
	images     map[string]bool
	registry   map[string]bool  // images a pull finds
	exit       map[string]int64 // a one-shot service's exit status
	exited     map[string]bool  // services that stop as soon as they start
	crashing   map[string]bool  // services that restart between two looks
	pingErr    error
	listErr    error
	brokenLoad bool // docker load answers, but has loaded nothing

	started, removed, stopped, loaded, pulled, waited []string
}

type fakeContainer struct {
	image    string
	labels   map[string]string
	running  bool
	status   string
	restarts int
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{containers: map[string]*fakeContainer{}, images: map[string]bool{}, registry: map[string]bool{},
		exit: map[string]int64{}, exited: map[string]bool{}, crashing: map[string]bool{}}
}

func notFound(format string, a ...any) error { return errdefs.NotFound(fmt.Errorf(format, a...)) }

// has adds a container as an earlier boot left it.
func (e *fakeEngine) has(name string, labels map[string]string) {
	e.containers[name] = &fakeContainer{image: "old", labels: labels, status: "exited"}
}

func (e *fakeEngine) ContainerCreate(_ context.Context, cfg *container.Config, _ *container.HostConfig,
	_ *network.NetworkingConfig, _ *ocispec.Platform, name string,
) (container.CreateResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.containers[name]; ok {
		return container.CreateResponse{}, errdefs.Conflict(fmt.Errorf("container %s exists", name))
	}
	if !e.images[cfg.Image] {
		return container.CreateResponse{}, notFound("No such image: %s", cfg.Image)
	}
	e.containers[name] = &fakeContainer{image: cfg.Image, labels: cfg.Labels, status: "created"}
	return container.CreateResponse{ID: name}, nil
}

func (e *fakeEngine) ContainerStart(_ context.Context, name string, _ container.StartOptions) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[name]
	if !ok {
		return notFound("No such container: %s", name)
	}
	e.started = append(e.started, name)
	c.running, c.status = true, "running"
	if c.labels[services.LabelOneshot] == "true" || e.exited[name] {
		c.running, c.status = false, "exited"
	}
	return nil
}

func (e *fakeEngine) ContainerInspect(_ context.Context, name string) (container.InspectResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[name]
	if !ok {
		return container.InspectResponse{}, notFound("No such container: %s", name)
	}
	if e.crashing[name] {
		c.restarts++
	}
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{Name: "/" + name, RestartCount: c.restarts,
			State: &container.State{Running: c.running, Status: c.status}},
		Config: &container.Config{Image: c.image, Labels: c.labels},
	}, nil
}

func (e *fakeEngine) ContainerRemove(_ context.Context, name string, _ container.RemoveOptions) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.containers[name]; !ok {
		return notFound("No such container: %s", name)
	}
	delete(e.containers, name)
	e.removed = append(e.removed, name)
	return nil
}

func (e *fakeEngine) ContainerList(context.Context, container.ListOptions) ([]container.Summary, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var list []container.Summary
	for name, c := range e.containers {
		list = append(list, container.Summary{ID: name, Names: []string{"/" + name}, Labels: c.labels})
	}
	return list, e.listErr
}

func (e *fakeEngine) ContainerWait(_ context.Context, name string, _ container.WaitCondition) (<-chan container.WaitResponse, <-chan error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	statusCh, errCh := make(chan container.WaitResponse, 1), make(chan error, 1)
	e.waited = append(e.waited, name)
	if _, ok := e.containers[name]; !ok {
		errCh <- notFound("No such container: %s", name)
	} else {
		statusCh <- container.WaitResponse{StatusCode: e.exit[name]}
	}
	return statusCh, errCh
}

func (e *fakeEngine) ContainerStop(_ context.Context, name string, _ container.StopOptions) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopped = append(e.stopped, name)
	if c, ok := e.containers[name]; ok {
		c.running, c.status = false, "exited"
	}
	return nil
}

func (e *fakeEngine) Ping(context.Context) (types.Ping, error) { return types.Ping{}, e.pingErr }

func (e *fakeEngine) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.images[ref] {
		return image.InspectResponse{}, notFound("No such image: %s", ref)
	}
	return image.InspectResponse{RepoTags: []string{ref}}, nil
}

// ImageLoad reads a docker-load archive and has the images its
// manifest.json tags.
func (e *fakeEngine) ImageLoad(_ context.Context, r io.Reader, _ ...client.ImageLoadOption) (image.LoadResponse, error) {
	var tags []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return image.LoadResponse{}, err
		}
		if h.Name != "manifest.json" {
			continue
		}
		var m []struct{ RepoTags []string }
		if err := json.NewDecoder(tr).Decode(&m); err != nil {
			return image.LoadResponse{}, err
		}
		for _, i := range m {
			tags = append(tags, i.RepoTags...)
		}
	}
	if len(tags) == 0 {
		return image.LoadResponse{}, errors.New("unexpected EOF")
	}
	slices.Sort(tags)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ref := range tags {
		if !e.brokenLoad {
			e.images[ref] = true
		}
		e.loaded = append(e.loaded, ref)
	}
	return image.LoadResponse{Body: io.NopCloser(strings.NewReader("Loaded image: " + strings.Join(tags, ", ") + "\n"))}, nil
}

func (e *fakeEngine) ImagePull(_ context.Context, ref string, _ image.PullOptions) (io.ReadCloser, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.registry[ref] {
		return nil, fmt.Errorf("pull access denied for %s", ref)
	}
	e.images[ref] = true
	e.pulled = append(e.pulled, ref)
	return io.NopCloser(strings.NewReader("{}")), nil
}

// fakeDaemon is one System Docker started with args: it comes up unless
// an argument is in bad.
type fakeDaemon struct {
	args, env []string
	eng       *fakeEngine
	bad       []string
	stops     int
}

func (d *fakeDaemon) Run(context.Context, time.Duration) (engine, error) {
	for _, a := range d.args {
		if slices.Contains(d.bad, a) {
			return nil, fmt.Errorf("starting System Docker: unknown flag %s", a)
		}
	}
	return d.eng, nil
}

func (d *fakeDaemon) Stop(time.Duration) { d.stops++ }

// fakeRunner records the commands run; fail makes a program fail.
type fakeRunner struct {
	mu   sync.Mutex
	ran  [][]string
	fail map[string]error
	done chan struct{} // gets a value after each command
}

func (r *fakeRunner) Start(cmd *exec.Cmd) (<-chan unix.WaitStatus, error) {
	ch := make(chan unix.WaitStatus, 1)
	ch <- 0
	return ch, r.Run(cmd)
}

func (r *fakeRunner) Run(cmd *exec.Cmd) error {
	r.mu.Lock()
	defer func() {
		r.mu.Unlock()
		if r.done != nil {
			r.done <- struct{}{}
		}
	}()
	r.ran = append(r.ran, cmd.Args)
	return r.fail[filepath.Base(cmd.Args[0])]
}

func (r *fakeRunner) commands() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, argv := range r.ran {
		out = append(out, strings.Join(argv, " "))
	}
	return out
}

// fakeLogger keeps what PID 1 logs.
type fakeLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *fakeLogger) Printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, a...))
}

func (l *fakeLogger) Banner(lines ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, "BANNER "+strings.Join(lines, " | "))
}

func (l *fakeLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// assessCall is what PID 1 handed to boot assessment.
type assessCall struct {
	booted  slot.Slot
	version string
	healthy bool
	reason  string
}

// machine is a ros root filesystem in a temporary directory with fakes for
// everything PID 1 does beyond files: System and User Docker, the reaper,
// the syscalls and boot assessment.
type machine struct {
	t        *testing.T
	root     string
	opts     options
	sys      *fakeEngine // System Docker
	user     *fakeEngine // User Docker
	daemons  []*fakeDaemon
	badArgs  []string // System Docker does not start with these
	runner   *fakeRunner
	log      *fakeLogger
	mounts   []string
	hostname string
	reboots  []int
	chowns   map[string][2]int
	mu       sync.Mutex // guards kmods
	kmods    []string
	outputs  []string

	drive struct {
		dev, data string
		err       error
	}
	meta struct { // the metadata service
		data  datasource.Data
		err   error
		calls int
	}
	userErr      error
	assessed     []assessCall
	assessReboot bool
	assessErr    error

	addrs map[string][]net.Addr // the machine's interfaces' addresses
	sshd  bool                  // something answers on port 22 with an ssh banner
}

// builtinServices is the test image's services.yaml: a one-shot set-up,
// then the network, then User Docker and the console.
const builtinServices = `
setup: {image: "ros/setup:${ROS_VERSION}", oneshot: true}
network: {image: "ros/network:${ROS_VERSION}", net: host, depends_on: [setup]}
docker: {image: "ros/docker:${ROS_VERSION}", command: [--host=unix:///run/docker/docker.sock], depends_on: [network]}
console: {image: "ros/console:${ROS_VERSION}", depends_on: [network]}
`

// catalogServices is the test image's catalog.yaml.
const catalogServices = `
extra: {image: "ros/extra:${ROS_VERSION}", depends_on: [network]}
`

func newMachine(t *testing.T) *machine {
	t.Helper()
	m := &machine{t: t, root: t.TempDir(), sys: newFakeEngine(), user: newFakeEngine(),
		runner: &fakeRunner{fail: map[string]error{}}, log: &fakeLogger{}, chowns: map[string][2]int{}}
	m.opts = m.options()
	m.write(m.opts.ServicesFile, builtinServices)
	m.write(m.opts.CatalogFile, catalogServices)
	m.write(m.opts.ModulesFile, "virtio_net\nvirtio_blk\n")
	m.write("/proc/cmdline", "console=ttyS0 ros.slot=b root=PARTLABEL=ros-root-b\n")
	m.write("/proc/uptime", "12.50 20.00\n")
	m.write("/proc/meminfo", "MemTotal: 1048576 kB\nMemAvailable: 786432 kB\n")
	var refs []string
	for _, name := range []string{"setup", "network", "docker", "console", "extra"} {
		refs = append(refs, m.image(name))
	}
	m.writeImages(m.opts.ImagesDir, refs...)
	m.writeImages(m.opts.UserImages, "busybox:latest")
	for _, dir := range []string{"etc", "run/ros"} { // the image's and the initramfs's
		must(t, os.MkdirAll(filepath.Join(m.root, dir), 0o755))
	}
	return m
}

func (m *machine) options() options {
	o := options{
		paths: pathsUnder(m.root), proc: procsys.FS{Root: m.root},
		newLogger: func() logger { return m.log }, reaper: m.runner,
		mount: func(source, target, fstype string, _ uintptr, _ string) error {
			m.mounts = append(m.mounts, strings.TrimSpace(fmt.Sprintf("%s %s %s", source, strings.TrimPrefix(target, m.root), fstype)))
			return nil
		},
		sethostname: func(b []byte) error { m.hostname = string(b); return nil },
		reboot:      func(cmd int) error { m.reboots = append(m.reboots, cmd); return nil },
		chown:       func(path string, uid, gid int) error { m.chowns[path] = [2]int{uid, gid}; return nil },
		output: func(cmd *exec.Cmd) ([]byte, error) {
			m.outputs = append(m.outputs, strings.Join(cmd.Args, " "))
			return nil, nil
		},
		loadKmods: func(dir string, names ...string) error {
			m.mu.Lock() // loadModules loads most modules in the background
			defer m.mu.Unlock()
			m.kmods = append(m.kmods, strings.TrimPrefix(dir, m.root)+": "+strings.Join(names, " "))
			return nil
		},
		configDrive: func(procsys.FS) (datasource.Data, error) {
			if m.drive.dev == "" || m.drive.err != nil {
				return datasource.Data{}, m.drive.err
			}
			return datasource.Data{Name: "cidata:" + m.drive.dev + " user-data", UserData: []byte(m.drive.data)}, nil
		},
		metadata: func(context.Context) (datasource.Data, error) {
			m.meta.calls++
			return m.meta.data, m.meta.err
		},
		systemDocker: func(args, env []string, _ func(string, ...any)) daemon {
			d := &fakeDaemon{args: args, env: env, eng: m.sys, bad: m.badArgs}
			m.daemons = append(m.daemons, d)
			return d
		},
		userDocker: func(context.Context, <-chan struct{}) (engine, error) {
			if m.userErr != nil {
				return nil, m.userErr
			}
			return m.user, nil
		},
		assess: func(booted slot.Slot, version string, healthy bool, reason string) (bool, error) {
			m.assessed = append(m.assessed, assessCall{booted, version, healthy, reason})
			return m.assessReboot, m.assessErr
		},
		gateTimeout: time.Minute, healthSettle: 0, netWait: 50 * time.Millisecond,
		ifaceAddrs: func(name string) ([]net.Addr, error) { return m.addrs[name], nil },
		dial: func(_ context.Context, addr string) (net.Conn, error) {
			if !m.sshd || addr != "127.0.0.1:22" {
				return nil, errors.New("connection refused")
			}
			c, srv := net.Pipe()
			go func() { _, _ = srv.Write([]byte("SSH-2.0-OpenSSH_10.0\r\n")); srv.Close() }()
			return c, nil
		},
	}
	return o
}

// image is the reference of the image of a system service of this version.
func (m *machine) image(name string) string {
	return contract.ServiceImageRepo + name + ":" + services.ImageTag(buildinfo.Version)
}

// writeImages writes an OCI image layout at dir (under the machine's root)
// with a small image named by each ref.
func (m *machine) writeImages(dir string, refs ...string) {
	m.t.Helper()
	if !strings.HasPrefix(dir, m.root) {
		dir = filepath.Join(m.root, dir)
	}
	p, err := layout.Write(dir, empty.Index)
	must(m.t, err)
	for _, r := range refs {
		img, err := random.Image(64, 1)
		must(m.t, err)
		must(m.t, p.AppendImage(img, layout.WithAnnotations(map[string]string{contract.ImageRefName: r})))
	}
}

// write writes a file of the machine, path under its root unless it is
// there already.
func (m *machine) write(path, data string) {
	m.t.Helper()
	if !strings.HasPrefix(path, m.root) {
		path = filepath.Join(m.root, path)
	}
	must(m.t, os.MkdirAll(filepath.Dir(path), 0o755))
	must(m.t, os.WriteFile(path, []byte(data), 0o644))
}

// read reads a file of the machine; "" if it does not exist.
func (m *machine) read(path string) string {
	m.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		m.t.Fatal(err)
	}
	return string(b)
}

// state is the state the steps share, at the start of the boot.
func (m *machine) state() *state {
	return &state{opts: m.opts, log: m.log}
}

// boot runs the boot steps up to and including the one named last, and
// fails the test if one fails.
func (m *machine) boot(last string) *state {
	m.t.Helper()
	st := m.state()
	for _, s := range steps {
		if err := s.run(context.Background(), st); err != nil {
			m.t.Fatalf("%s: %v\nlog:\n%s", s.name, err, m.log)
		}
		if s.name == last {
			return st
		}
	}
	m.t.Fatalf("no step %q", last)
	return nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// stopNow stops a container at once.
var stopNow = container.StopOptions{}
