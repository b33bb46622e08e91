package builder

import (
	"fmt"
	"os"
	"path/filepath"
)

// Tool copies file (a path in the package) out of the Debian package pkg
// of the spec's suite to out, with the builder's own apt configuration:
// a program the build or its tests run that the host does not have (the
// target suite's cosign, say), never installed on the host.
func Tool(o Options, pkg, file, out string) error {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	src, err := o.source()
	if err != nil {
		return err
	}
	apt := NewApt(o.Cache, src)
	apt.Logf = o.Logf
	if err := apt.Update(); err != nil {
		return err
	}
	debs, err := apt.Versions([]string{pkg})
	if err != nil {
		return err
	}
	roots, err := apt.Fetch(debs)
	if err != nil {
		return err
	}
	from := filepath.Join(roots[0], filepath.FromSlash(file))
	fi, err := os.Stat(from)
	if err != nil {
		return fmt.Errorf("%w: %s %s has no %s", ErrMissingFile, pkg, debs[0].Version, file)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := copyFile(from, tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, fi.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
