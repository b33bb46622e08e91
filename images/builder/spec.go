// Package build assembles the ros OS from Debian packages and the ros binary:
// a squashfs root filesystem, a small initramfs, the kernel, and the system
// service images. It needs apt-get, dpkg-deb, depmod and mksquashfs on the
// build machine, never a Docker daemon.
package builder

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ros-os/ros/images/chunked"
)

// Spec is images/os.yaml: the declarative definition of the OS.
type Spec struct {
	Name         string            `yaml:"name"`
	Architecture string            `yaml:"architecture"`
	Suite        string            `yaml:"suite"`      // the Debian release: bookworm, trixie
	Components   []string          `yaml:"components"` // of the suite; default [main]
	Pockets      []string          `yaml:"pockets"`    // SUITE-updates, SUITE-security; default [updates, security]
	Kernel       KernelSpec        `yaml:"kernel"`
	Packages     []PackageSpec     `yaml:"packages"`
	Links        map[string]string `yaml:"links"`
	Files        map[string]string `yaml:"files"` // rootfs path: path relative to the spec
	Dir          string            `yaml:"-"`     // the spec's directory
	Rootfs       RootfsSpec        `yaml:"rootfs"`
	Services     []ServiceSpec     `yaml:"services"`
	UserImages   []ServiceSpec     `yaml:"user_images"`
}

// KernelSpec names the kernel package and the modules to keep.
type KernelSpec struct {
	Package          string   `yaml:"package"`
	Cmdline          string   `yaml:"cmdline"`
	InitramfsModules []string `yaml:"initramfs_modules"`
	Modules          []string `yaml:"modules"`
}

// PackageSpec is a Debian package and the files (globs) taken from it.
type PackageSpec struct {
	Name  string   `yaml:"name"`
	Files []string `yaml:"files"`
}

// RootfsSpec sets how the root filesystem is packed for a slot
// (mksquashfs options) and for the OS image: chunked (Chunks), or as one
// xz stream (XzOptions, the format of images before chunks).
type RootfsSpec struct {
	SquashfsOptions []string   `yaml:"squashfs_options"`
	XzOptions       []string   `yaml:"xz_options"`
	Chunks          *ChunkSpec `yaml:"chunks"`
}

// ChunkSpec is how each chunk of a chunked root filesystem is compressed:
// the filter (images/chunked: "x86" or none) and zstd(1)'s options.
type ChunkSpec struct {
	Filter string   `yaml:"filter"`
	Zstd   []string `yaml:"zstd"`
}

// ServiceSpec is one system service image.
type ServiceSpec struct {
	Name string   `yaml:"name"`
	Cmd  []string `yaml:"cmd"`
}

// aptName is what a suite or component may look like in a sources.list.
var aptName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ErrBadSpec marks a definition that cannot be built.
var ErrBadSpec = errors.New("bad image definition")

// LoadSpec reads and checks an image definition.
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading image definition: %w", err)
	}
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n"), "\n", ";")
		return nil, fmt.Errorf("%w: %s: %s", ErrBadSpec, path, strings.Join(strings.Fields(msg), " "))
	}
	s.Dir = filepath.Dir(path)
	if len(s.Components) == 0 {
		s.Components = []string{"main"}
	}
	if s.Pockets == nil { // absent; "pockets: []" (e.g. for sid) means none
		s.Pockets = []string{"updates", "security"}
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadSpec, path, err)
	}
	return &s, nil
}

func (s *Spec) check() error {
	switch {
	case s.Name == "":
		return errors.New("name is empty")
	case s.Architecture == "":
		return errors.New("architecture is empty")
	case !aptName.MatchString(s.Suite):
		return fmt.Errorf("suite %q: want a Debian release such as trixie", s.Suite)
	case s.Kernel.Package == "":
		return errors.New("kernel.package is empty")
	case len(s.Packages) == 0:
		return errors.New("no packages")
	}
	if c := s.Rootfs.Chunks; c != nil && !chunked.KnownFilter(c.Filter) {
		return fmt.Errorf("rootfs.chunks.filter %q: want x86 or none", c.Filter)
	}
	for _, c := range s.Components {
		if !aptName.MatchString(c) {
			return fmt.Errorf("component %q: want one such as main", c)
		}
	}
	for _, p := range s.Pockets {
		if p != "updates" && p != "security" {
			return fmt.Errorf("pocket %q: want updates or security", p)
		}
	}
	for _, p := range s.Packages {
		if p.Name == "" || len(p.Files) == 0 {
			return fmt.Errorf("package %q: needs a name and files", p.Name)
		}
	}
	return nil
}

// PackageNames lists the packages whose files are taken.
func (s *Spec) PackageNames() []string {
	names := make([]string, 0, len(s.Packages))
	for _, p := range s.Packages {
		names = append(names, p.Name)
	}
	return names
}
