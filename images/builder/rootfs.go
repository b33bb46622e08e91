package builder

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ros-os/ros/images/chunked"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/verity"
)

// Where things live in the root filesystem (the contract's names).
const (
	RosBinary     = contract.RosBinary
	ServiceImages = contract.ImagesDir  // OCI layout of the system service images
	UserImages    = contract.UserImages // OCI layout of the images preloaded into User Docker
	BootEFI       = contract.BootEFI
	TrustDir      = contract.TrustDir // the public keys of Options.Trust
)

func (b *builder) rootfs() error {
	t, err := NewTree(filepath.Join(b.work, "rootfs"))
	if err != nil {
		return err
	}
	fill := []func(*Tree) error{b.takePackages, b.addLinks, b.addBusybox, b.addGenerated, b.addFiles, b.addModules, b.addServices}
	for _, f := range fill {
		if err := f(t); err != nil {
			return err
		}
	}
	return b.squash(t.Dir)
}

func (b *builder) takePackages(t *Tree) error {
	for _, p := range b.o.Spec.Packages {
		for _, pat := range p.Files {
			rels, err := Glob(b.roots[p.Name], pat)
			if err != nil {
				return err
			}
			if len(rels) == 0 {
				return fmt.Errorf("%w: package %s has no file matching %s (check images/os.yaml)", ErrMissingFile, p.Name, pat)
			}
			for _, rel := range rels {
				if err := b.pool.Take(t, rel); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (b *builder) addLinks(t *Tree) error {
	links := make([]string, 0, len(b.o.Spec.Links))
	for l := range b.o.Spec.Links {
		links = append(links, l)
	}
	sort.Strings(links)
	for _, l := range links {
		if err := t.Symlink(Canon(l), b.o.Spec.Links[l]); err != nil {
			return err
		}
	}
	return nil
}

// addBusybox links every busybox applet that nothing else provides.
func (b *builder) addBusybox(t *Tree) error {
	applets, err := b.applets()
	if err != nil {
		return err
	}
	for _, a := range applets {
		if a == "bin/busybox" || t.Has(a) {
			continue
		}
		if err := t.Symlink(Canon(a), "/usr/bin/busybox"); err != nil {
			return err
		}
	}
	return nil
}

// busybox is the packaged static busybox: bin/busybox in Debian 12,
// usr/bin/busybox since the /usr merge.
func (b *builder) busybox() string {
	return pkgFile(b.roots["busybox-static"], "bin/busybox")
}

// pkgFile is rel in an unpacked package, or its /usr-merged path when only
// that exists.
func pkgFile(root, rel string) string {
	p := filepath.Join(root, rel)
	if _, err := os.Lstat(p); err != nil {
		if c := filepath.Join(root, Canon(rel)); c != p {
			if _, err := os.Lstat(c); err == nil {
				return c
			}
		}
	}
	return p
}

// applets asks the packaged (static) busybox for its applet paths.
func (b *builder) applets() ([]string, error) {
	out, err := b.apt.Run(b.busybox(), "--list-full")
	if err != nil {
		return nil, fmt.Errorf("listing busybox applets: %w", err)
	}
	return strings.Fields(string(out)), nil
}

func (b *builder) addGenerated(t *Tree) error {
	for _, d := range []string{"dev", "proc", "sys", "run", "var", "etc", "root", "home", "opt", "mnt", "tmp", contract.State, "etc/ros"} {
		if err := t.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(t.Dir, "tmp"), 0o1777); err != nil {
		return fmt.Errorf("creating /tmp: %w", err)
	}
	certs, err := b.caBundle()
	if err != nil {
		return err
	}
	files := map[string]string{
		"etc/ssl/certs/ca-certificates.crt": certs,
		"usr/lib/os-release":                b.osRelease(),
		"etc/passwd":                        Passwd,
		"etc/group":                         Group,
		"etc/shadow":                        Shadow,
		contract.ModulesFile:                strings.Join(b.o.Spec.Kernel.Modules, "\n") + "\n",
	}
	for _, p := range sortedFileKeys(files) {
		if err := t.WriteFile(p, []byte(files[p]), 0o644); err != nil {
			return err
		}
	}
	if err := t.Symlink("etc/os-release", "../usr/lib/os-release"); err != nil {
		return err
	}
	if err := b.addTrust(t); err != nil {
		return err
	}
	if err := t.CopyFile(b.o.Ros, RosBinary); err != nil {
		return err
	}
	// setuid root: ros is also sudo, and drops the privilege otherwise.
	if err := os.Chmod(filepath.Join(t.Dir, RosBinary), 0o755|os.ModeSetuid); err != nil {
		return fmt.Errorf("making ros setuid: %w", err)
	}
	return os.Chmod(filepath.Join(t.Dir, "etc/shadow"), 0o600)
}

// addTrust puts the public keys of Options.Trust in TrustDir, each
// checked to be one.
func (b *builder) addTrust(t *Tree) error {
	if err := t.Mkdir(TrustDir, 0o755); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, f := range b.o.Trust {
		pemBytes, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("reading a trusted key: %w", err)
		}
		if _, err := signature.ParsePublicKey(f, pemBytes); err != nil {
			return fmt.Errorf("%w: give --trust a public key (PEM, e.g. cosign.pub)", err)
		}
		base := filepath.Base(f)
		if !strings.HasSuffix(base, ".pub") {
			base += ".pub"
		}
		if seen[base] {
			return fmt.Errorf("two trusted keys are named %s: rename one", base)
		}
		seen[base] = true
		if err := t.WriteFile(path.Join(TrustDir, base), pemBytes, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// addFiles copies the repository files the spec lists.
func (b *builder) addFiles(t *Tree) error {
	for _, dst := range sortedFileKeys(b.o.Spec.Files) {
		if err := t.CopyFile(filepath.Join(b.o.Spec.Dir, b.o.Spec.Files[dst]), dst); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) osRelease() string {
	return fmt.Sprintf("NAME=ros\nID=ros\nVERSION=%s\nVERSION_ID=%s\nPRETTY_NAME=\"ros %s\"\n", b.o.Version, b.o.Version, b.o.Version)
}

// caBundle concatenates the Mozilla certificates as update-ca-certificates does.
func (b *builder) caBundle() (string, error) {
	root := b.roots["ca-certificates"]
	rels, err := Glob(root, "usr/share/ca-certificates/mozilla/*.crt")
	if err != nil || len(rels) == 0 {
		return "", fmt.Errorf("%w: ca-certificates has no certificates", ErrMissingFile)
	}
	var sb strings.Builder
	for _, r := range rels {
		data, err := os.ReadFile(filepath.Join(root, r))
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", r, err)
		}
		sb.Write(data)
	}
	return sb.String(), nil
}

func sortedFileKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// addModules installs the kernel modules and the kernel's build
// configuration as /usr/lib/modules/RELEASE/config, for moby's
// check-config.sh (the console sees the host's /usr, not its /boot).
func (b *builder) addModules(t *Tree) error {
	files, err := b.kernel.Closure(append(b.o.Spec.Kernel.Modules, b.o.Spec.Kernel.InitramfsModules...))
	if err != nil {
		return err
	}
	if err := b.kernel.Install(t, files, b.apt.Run); err != nil {
		return err
	}
	if err := t.CopyFile(b.kernel.Config(), filepath.Join("usr/lib/modules", b.kernel.Release, "config")); err != nil {
		return fmt.Errorf("%w: the kernel package has no boot/config-%s", ErrMissingFile, b.kernel.Release)
	}
	return nil
}

func (b *builder) addServices(t *Tree) error {
	busybox, err := os.ReadFile(b.busybox())
	if err != nil {
		return fmt.Errorf("reading busybox: %w", err)
	}
	applets, err := b.applets()
	if err != nil {
		return err
	}
	out := filepath.Join(t.Dir, ServiceImages)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("writing service images: %w", err)
	}
	tag := strings.ReplaceAll(b.o.Version, "+", "_")
	if err := WriteServiceImages(out, b.o.Spec.Services, busybox, applets, tag, b.o.Spec.Architecture); err != nil {
		return err
	}
	users := filepath.Join(t.Dir, UserImages)
	if err := os.MkdirAll(users, 0o755); err != nil {
		return fmt.Errorf("writing user images: %w", err)
	}
	return WriteUserImages(users, b.o.Spec.UserImages, busybox, applets, b.o.Spec.Architecture)
}

// squash packs the tree into the slot image and what the OS image carries
// of it (its chunks or its xz stream), reusing the cached pair when the
// tree and options are unchanged (compressing takes a minute or more).
func (b *builder) squash(dir string) error {
	sum, err := treeDigest(dir)
	if err != nil {
		return err
	}
	opts := b.o.Spec.Rootfs
	pack := "|" + strings.Join(opts.XzOptions, " ")
	if c := opts.Chunks; c != nil {
		pack = "|chunks1 " + c.Filter + " " + strings.Join(c.Zstd, " ")
	}
	key := sha256Hex(sum + strings.Join(opts.SquashfsOptions, " ") + pack + "|verity1")
	cached := filepath.Join(b.o.Cache, "rootfs", key)
	sq, blob := filepath.Join(b.work, RootfsFile), filepath.Join(b.work, b.rootfsBlob())
	if arg, err := os.ReadFile(cached + ".verity"); err == nil {
		if b.verity, err = verity.Parse(string(arg)); err != nil {
			return err
		}
		if opts.Chunks != nil {
			if b.chunks, err = readIndex(cached + ".index"); err != nil {
				return err
			}
		}
		if err := copyFile(cached+".squashfs", sq); err != nil {
			return err
		}
		return copyFile(cached+".blob", blob)
	}
	if err := WriteSquashfs(b.apt.Run, dir, sq, opts.SquashfsOptions); err != nil {
		return err
	}
	if b.verity, err = verity.Append(sq); err != nil {
		return err
	}
	if c := opts.Chunks; c != nil {
		ix, err := WriteChunked(sq, blob, c.Filter, c.Zstd)
		if err != nil {
			return err
		}
		b.chunks = &ix
		raw, err := json.Marshal(ix)
		if err != nil {
			return err
		}
		if err := writeCached(cached+".index", raw); err != nil {
			return err
		}
	} else if err := WriteXz(sq, blob, opts.XzOptions); err != nil {
		return err
	}
	if err := cacheCopy(sq, cached+".squashfs"); err != nil {
		return err
	}
	if err := cacheCopy(blob, cached+".blob"); err != nil {
		return err
	}
	return writeCached(cached+".verity", []byte(b.verity.String())) // last: it marks the entry complete
}

func readIndex(path string) (*chunked.Index, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the cached rootfs chunks: %w", err)
	}
	var ix chunked.Index
	if err := json.Unmarshal(raw, &ix); err != nil {
		return nil, fmt.Errorf("reading the cached rootfs chunks %s: %w", path, err)
	}
	return &ix, nil
}

// writeCached writes data at cached, atomically.
func writeCached(cached string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
		return fmt.Errorf("caching the root filesystem: %w", err)
	}
	if err := os.WriteFile(cached+".tmp", data, 0o644); err != nil {
		return fmt.Errorf("caching the root filesystem: %w", err)
	}
	return os.Rename(cached+".tmp", cached)
}

// cacheCopy stores a copy of out at cached, atomically.
func cacheCopy(out, cached string) error {
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
		return fmt.Errorf("caching the root filesystem: %w", err)
	}
	if err := copyFile(out, cached+".tmp"); err != nil {
		return err
	}
	return os.Rename(cached+".tmp", cached)
}

func (b *builder) initramfs() error {
	t, err := NewTree(filepath.Join(b.work, "initramfs"))
	if err != nil {
		return err
	}
	for _, d := range []string{"dev", "proc", "sys", "run", contract.Sysroot, "tmp", "etc"} {
		if err := t.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	if err := t.CopyFile(b.o.Init, "init"); err != nil {
		return err
	}
	mods := strings.Join(b.o.Spec.Kernel.InitramfsModules, "\n") + "\n"
	if err := t.WriteFile(contract.InitramfsModules, []byte(mods), 0o644); err != nil {
		return err
	}
	if err := t.WriteFile("usr/lib/os-release", []byte(b.osRelease()), 0o644); err != nil {
		return err
	}
	files, err := b.kernel.Closure(b.o.Spec.Kernel.InitramfsModules)
	if err != nil {
		return err
	}
	if err := b.kernel.Install(t, files, b.apt.Run); err != nil {
		return err
	}
	return WriteInitramfs(t.Dir, filepath.Join(b.work, InitramfsFile))
}
