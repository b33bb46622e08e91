package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/ros-os/ros/images/chunked"
	"github.com/ros-os/ros/internal/verity"
)

// Options say what to build and where.
type Options struct {
	Spec    *Spec
	Ros     string // the ros binary (static), for the root filesystem
	Init    string // the initramfs build of ros (-tags initramfs)
	Cache   string // package and squashfs cache, kept between builds
	Out     string // where vmlinuz, initrd and rootfs.squashfs are written
	Version string
	Mirror  string // Debian archive URI for Spec's suite; "": the host's (HostMirror)
	Logf    func(format string, a ...any)
	Apt     *Apt // nil: the real apt tools, with the builder's own apt configuration
	// Trust are the public keys (PEM files) the OS trusts for its own
	// upgrades, put in TrustDir of the root filesystem.
	Trust []string
}

// Result names the built parts.
type Result struct {
	Kernel, Initramfs, Rootfs string
	// RootfsBlob is what the OS image carries of Rootfs: its chunks, whose
	// index is Chunks, or (Chunks nil) its xz stream.
	RootfsBlob    string
	Chunks        *chunked.Index
	KernelRelease string
	Packages      []Deb
	// Verity is the dm-verity hash tree behind the squashfs in Rootfs;
	// its kernel argument goes on the image's command line.
	Verity verity.Tree
}

// Parts are the file names of the outputs inside Options.Out.
const (
	KernelFile        = "vmlinuz"
	InitramfsFile     = "initrd"
	RootfsFile        = "rootfs.squashfs"         // what a slot holds
	RootfsChunkedFile = "rootfs.squashfs.chunked" // what the OS image carries (images/chunked)
	RootfsXzFile      = "rootfs.squashfs.xz"      // or this, without chunks
)

// Build assembles the OS. Outputs are written to Out.tmp, which replaces
// Out only when every part is complete: a failed build leaves the previous
// Out as it was and nothing half-written under its name.
func Build(o Options) (*Result, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	for _, bin := range []string{o.Ros, o.Init} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("reading the ros binary (build it first with make ros): %w", err)
		}
	}
	work := filepath.Clean(o.Out) + ".tmp"
	_ = os.RemoveAll(work)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output directory %s (choose a writable --out): %w", o.Out, err)
	}
	b := &builder{o: o, work: work, apt: o.Apt}
	res, err := b.run()
	if err != nil {
		_ = os.RemoveAll(work)
		return nil, err
	}
	return res, nil
}

type builder struct {
	o      Options
	work   string
	apt    *Apt
	pool   *Pool
	kernel *Kernel
	debs   []Deb
	roots  map[string]string // package name → unpacked root
	verity verity.Tree
	chunks *chunked.Index // of a chunked rootfs
}

// rootfsBlob is the file name of what the OS image carries of the rootfs.
func (b *builder) rootfsBlob() string {
	if b.o.Spec.Rootfs.Chunks != nil {
		return RootfsChunkedFile
	}
	return RootfsXzFile
}

func (b *builder) run() (*Result, error) {
	steps := []struct {
		name string
		fn   func() error
	}{
		{"reading the package lists", b.packageLists},
		{"fetching packages", b.fetch},
		{"building the root filesystem", b.rootfs},
		{"building the initramfs", b.initramfs},
		{"copying the kernel", b.copyKernel},
		{"publishing the parts", b.publish},
	}
	for _, s := range steps {
		b.o.Logf("%s", s.name)
		if err := s.fn(); err != nil {
			return nil, err
		}
	}
	return &Result{
		Kernel: filepath.Join(b.o.Out, KernelFile), Initramfs: filepath.Join(b.o.Out, InitramfsFile),
		Rootfs: filepath.Join(b.o.Out, RootfsFile), RootfsBlob: filepath.Join(b.o.Out, b.rootfsBlob()), Chunks: b.chunks,
		KernelRelease: b.kernel.Release, Packages: b.debs, Verity: b.verity,
	}, nil
}

// packageLists sets up apt for the spec's suite (unless Options.Apt is
// given) and brings its package lists up to date.
func (b *builder) packageLists() error {
	if b.apt == nil {
		src, err := b.o.source()
		if err != nil {
			return err
		}
		b.apt = NewApt(b.o.Cache, src)
		b.o.Logf("packages: %s (mirror from %s)", src, src.From)
	}
	if b.apt.Logf == nil {
		b.apt.Logf = b.o.Logf
	}
	return b.apt.Update()
}

// source is the spec's suite on the mirror given, else on the host's.
func (o Options) source() (Source, error) {
	m := Mirror{URI: o.Mirror, Keyring: DebianKeyring, From: "ROS_APT_MIRROR or --mirror"}
	if o.Mirror == "" {
		var err error
		if m, err = HostMirror("/etc/apt"); err != nil {
			return Source{}, err
		}
	} else if err := CheckMirror(o.Mirror); err != nil {
		return Source{}, err
	}
	src := Source{Mirror: m, Suite: o.Spec.Suite, Components: o.Spec.Components, Arch: o.Spec.Architecture}
	for _, p := range o.Spec.Pockets {
		switch p {
		case "updates":
			src.Updates = true
		case "security":
			src.Security = HostSecurity("/etc/apt", m.URI)
		}
	}
	return src, nil
}

func (b *builder) fetch() error {
	kpkg, err := b.apt.KernelPackage(b.o.Spec.Kernel.Package)
	if err != nil {
		return err
	}
	names, err := b.apt.Closure(b.o.Spec.PackageNames())
	if err != nil {
		return err
	}
	b.debs, err = b.apt.Versions(append(names, kpkg))
	if err != nil {
		return err
	}
	roots, err := b.apt.Fetch(b.debs)
	if err != nil {
		return err
	}
	b.pool, b.roots = &Pool{}, map[string]string{}
	for i, d := range b.debs {
		b.roots[d.Name] = roots[i]
		if d.Name == kpkg {
			b.kernel, err = OpenKernel(roots[i])
			if err != nil {
				return err
			}
			continue
		}
		b.pool.Roots = append(b.pool.Roots, roots[i])
	}
	return nil
}

func (b *builder) copyKernel() error {
	return copyFile(b.kernel.Vmlinuz(), filepath.Join(b.work, KernelFile))
}

// publish drops the staging trees and swaps the finished parts into Out.
func (b *builder) publish() error {
	for _, d := range []string{"rootfs", "initramfs"} {
		if err := os.RemoveAll(filepath.Join(b.work, d)); err != nil {
			return fmt.Errorf("cleaning %s: %w", d, err)
		}
	}
	old := filepath.Clean(b.o.Out) + ".old"
	_ = os.RemoveAll(old)
	if err := os.Rename(b.o.Out, old); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("publishing the parts: %w", err)
	}
	if err := os.Rename(b.work, b.o.Out); err != nil {
		return fmt.Errorf("publishing the parts: %w", err)
	}
	return os.RemoveAll(old)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return out.Close()
}

// treeDigest hashes a staging tree's paths, modes, link targets and contents.
func treeDigest(dir string) (string, error) {
	h := sha256.New()
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", dir, err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := hashEntry(h, dir, p); err != nil {
			return "", fmt.Errorf("hashing %s: %w", p, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func hashEntry(h io.Writer, dir, p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(dir, p)
	fmt.Fprintf(h, "%s\x00%o\x00", rel, fi.Mode())
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		t, err := os.Readlink(p)
		fmt.Fprintf(h, "%s\x00", t)
		return err
	case fi.Mode().IsRegular():
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	}
	return nil
}
