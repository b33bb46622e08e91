package builder

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Tree is a staging directory for a merged-/usr root filesystem: files taken
// from /bin, /sbin, /lib and /lib64 land under /usr, and the top-level names
// are symlinks, as on a usrmerged Debian.
type Tree struct {
	Dir   string
	added map[string]bool
}

var usrMerged = []string{"bin", "sbin", "lib", "lib64"}

// NewTree creates an empty staging tree with the usrmerge links.
func NewTree(dir string) (*Tree, error) {
	t := &Tree{Dir: dir, added: map[string]bool{}}
	for _, d := range usrMerged {
		if err := t.Mkdir("usr/"+d, 0o755); err != nil {
			return nil, err
		}
		if err := t.Symlink(d, "usr/"+d); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Canon maps a package path to where it lives in a merged-/usr tree.
func Canon(rel string) string {
	rel = strings.TrimPrefix(path.Clean("/"+rel), "/")
	first, _, _ := strings.Cut(rel, "/")
	for _, d := range usrMerged {
		if first == d {
			return "usr/" + rel
		}
	}
	return rel
}

// Has reports whether rel (canonical) was added.
func (t *Tree) Has(rel string) bool { return t.added[Canon(rel)] }

// Mkdir creates a directory (and its parents) in the tree.
func (t *Tree) Mkdir(rel string, mode os.FileMode) error {
	p := filepath.Join(t.Dir, Canon(rel))
	if err := os.MkdirAll(p, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", rel, err)
	}
	return os.Chmod(p, mode)
}

// Symlink makes rel (taken as is, not canonicalised) point at target.
func (t *Tree) Symlink(rel, target string) error {
	p := filepath.Join(t.Dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("linking %s: %w", rel, err)
	}
	_ = os.Remove(p)
	if err := os.Symlink(target, p); err != nil {
		return fmt.Errorf("linking %s: %w", rel, err)
	}
	t.added[rel] = true
	return nil
}

// WriteFile writes data at rel.
func (t *Tree) WriteFile(rel string, data []byte, mode os.FileMode) error {
	rel = Canon(rel)
	p := filepath.Join(t.Dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	t.added[rel] = true
	return os.Chmod(p, mode)
}

// CopyFile copies the regular file or symlink src to rel.
func (t *Tree) CopyFile(src, rel string) error {
	rel = Canon(rel)
	fi, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", rel, err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return fmt.Errorf("copying %s: %w", rel, err)
		}
		return t.Symlink(rel, target)
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", rel, err)
	}
	defer in.Close()
	return t.writeFrom(rel, in, fi.Mode().Perm())
}

func (t *Tree) writeFrom(rel string, r io.Reader, mode os.FileMode) error {
	p := filepath.Join(t.Dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("copying %s: %w", rel, err)
	}
	out, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return fmt.Errorf("copying %s: %w", rel, err)
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", rel, err)
	}
	t.added[rel] = true
	if err := out.Close(); err != nil {
		return fmt.Errorf("copying %s: %w", rel, err)
	}
	return os.Chmod(p, mode)
}
