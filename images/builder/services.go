package builder

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/ros-os/ros/internal/contract"
)

// ServiceImageRepo is the repository prefix of the system service images.
const ServiceImageRepo = contract.ServiceImageRepo

// baseFiles are the files of the shared base layer, path → content; a
// content starting with "->" is a symlink.
type baseFiles map[string]string

// serviceBase is busybox with its applet links and a minimal /etc.
func serviceBase(busybox []byte, applets []string) (v1.Layer, error) {
	files := baseFiles{
		"etc/passwd": Passwd,
		"etc/group":  Group,
		"etc/shadow": Shadow,
		// Login shells (the console's) get ros.environment, which login cleared.
		"etc/profile": "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" +
			"[ -r " + contract.Environment + " ] && . " + contract.Environment + "\n",
		// Containers that bind-mount the host's /usr run its dynamically
		// linked binaries (dockerd, the docker CLI) through these links.
		"lib":   "->usr/lib",
		"lib64": "->usr/lib64",
		// The docker CLI's default socket is User Docker's.
		"var/run/docker.sock": "->" + contract.UserDockerSock,
		// OpenNTPD (the ntp service, run from the host's /usr).
		"etc/openntpd/ntpd.conf": "servers pool.ntp.org\n",
		"etc/services":           "ntp\t\t123/udp\n", // OpenNTPD looks the port up
	}
	for _, a := range applets {
		if a != "bin/busybox" {
			files[a] = "->/bin/busybox"
		}
	}
	var buf bytes.Buffer
	if err := writeBaseTar(&buf, files, busybox); err != nil {
		return nil, fmt.Errorf("building the service base layer: %w", err)
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
}

func writeBaseTar(w io.Writer, files baseFiles, busybox []byte) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{"bin": true, "etc": true, "root": true, "tmp": true, "usr": true, "usr/bin": true,
		"usr/sbin": true, "usr/lib": true, "usr/lib64": true, "sbin": true, "var": true, "var/run": true, "var/log": true,
		"home": true, "run": true, "var/run/openntpd": true, "etc/openntpd": true,
		"var/lib": true, "var/lib/openntpd": true, "var/lib/openntpd/db": true, "var/lib/openntpd/run": true}
	for _, d := range sortedKeys(dirs) {
		mode := int64(0o755)
		if d == "tmp" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: mode}); err != nil {
			return err
		}
	}
	if err := writeTarFile(tw, "bin/busybox", busybox, 0o755); err != nil {
		return err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := writeTarEntry(tw, p, files[p]); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeTarEntry(tw *tar.Writer, p, content string) error {
	if target, ok := strings.CutPrefix(content, "->"); ok {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: target, Mode: 0o777})
	}
	return writeTarFile(tw, p, []byte(content), 0o644)
}

func writeTarFile(tw *tar.Writer, p string, data []byte, mode int64) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(data))}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// serviceImage is the base layer with a service's command.
func serviceImage(base v1.Layer, s ServiceSpec, arch string) (v1.Image, error) {
	img, err := mutate.AppendLayers(empty.Image, base)
	if err != nil {
		return nil, fmt.Errorf("building image for %s: %w", s.Name, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("building image for %s: %w", s.Name, err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = arch, "linux"
	cf.Config.Cmd = s.Cmd
	cf.Config.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cf.Config.Labels = map[string]string{"io.ros.service": s.Name}
	return mutate.ConfigFile(img, cf)
}

// WriteServiceImages writes the service images, tagged
// ros/NAME:VERSION, into the OCI image layout dir (writeImages).
func WriteServiceImages(dir string, specs []ServiceSpec, busybox []byte, applets []string, version, arch string) error {
	return writeImages(dir, specs, busybox, applets, arch, func(s ServiceSpec) string { return ServiceImageRepo + s.Name + ":" + version })
}

// WriteUserImages writes the user images, tagged NAME:latest, into the OCI
// image layout dir.
func WriteUserImages(dir string, specs []ServiceSpec, busybox []byte, applets []string, arch string) error {
	return writeImages(dir, specs, busybox, applets, arch, func(s ServiceSpec) string { return s.Name + ":latest" })
}

// writeImages writes one image per spec into an OCI image layout at dir,
// in the specs' order, each named by its reference (contract.ImageRefName):
// the base layer they share is stored once, and the files a new version
// changes are only the small configs, manifests and index, so an upgrade
// downloads little of them. The same inputs give the same bytes.
func writeImages(dir string, specs []ServiceSpec, busybox []byte, applets []string, arch string, ref func(ServiceSpec) string) error {
	base, err := serviceBase(busybox, applets)
	if err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing images to %s: %w", dir, err)
	}
	for _, s := range specs {
		img, err := serviceImage(base, s, arch)
		if err != nil {
			return err
		}
		r := ref(s)
		if _, err := name.NewTag(r); err != nil {
			return fmt.Errorf("tagging service %s: %w", s.Name, err)
		}
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{contract.ImageRefName: r})); err != nil {
			return fmt.Errorf("writing image %s: %w", r, err)
		}
	}
	return nil
}
