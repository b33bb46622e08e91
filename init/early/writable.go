package early

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/contract"
)

// dir is a directory to create, with mode, if nothing is at path.
type dir struct {
	path string
	mode os.FileMode
}

// link is a symlink to create if nothing is at path.
type link struct {
	path, target string
}

// writable is how the writable places are laid over the read-only slot.
type writable struct {
	dirs   []dir   // on STATE, before mounting
	links  []link  // on STATE, before mounting
	mounts []mount // in order
	after  []dir   // in the new /run, once it is mounted
}

// stateBinds are the slot directories whose content lives on STATE.
var stateBinds = []dir{
	{"var", 0o755},
	{"home", 0o755},
	{"opt", 0o755},
	{"root", 0o700},
}

// writableLayout lays the writable places over the slot mounted at root,
// with STATE (or its tmpfs stand-in) mounted at state: tmpfs /run and /tmp,
// /etc as an overlay whose upper layer is on STATE, and /var, /home, /opt
// and /root bound from STATE.
func writableLayout(root, state string) writable {
	upper := filepath.Join(state, "overlay/etc/upper")
	work := filepath.Join(state, "overlay/etc/work")
	etc := filepath.Join(root, "etc")
	w := writable{
		dirs: []dir{{upper, 0o755}, {work, 0o755}},
		mounts: []mount{
			{"tmpfs", filepath.Join(root, "run"), "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
			{"tmpfs", filepath.Join(root, "tmp"), "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
			{"overlay", etc, "overlay", 0, fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", etc, upper, work)},
		},
		after: []dir{
			{filepath.Join(root, contract.RunDir), 0o755},
			{filepath.Join(root, "run/lock"), 0o777 | os.ModeSticky},
		},
	}
	for _, b := range stateBinds {
		src := filepath.Join(state, b.path)
		w.dirs = append(w.dirs, dir{src, b.mode})
		w.mounts = append(w.mounts, mount{src, filepath.Join(root, b.path), "", unix.MS_BIND, ""})
	}
	w.links = []link{
		{filepath.Join(state, "var/run"), "/run"},
		{filepath.Join(state, "var/lock"), "/run/lock"},
	}
	return w
}

// apply creates the directories and links, then mounts, with mnt.
func (w writable) apply(mnt func(mount) error) error {
	for _, d := range w.dirs {
		if err := mkdirMode(d); err != nil {
			return err
		}
	}
	for _, l := range w.links {
		if err := symlinkIfMissing(l); err != nil {
			return err
		}
	}
	for _, m := range w.mounts {
		if err := mnt(m); err != nil {
			return err
		}
	}
	for _, d := range w.after {
		if err := mkdirMode(d); err != nil {
			return err
		}
	}
	return nil
}

// mkdirMode creates d with exactly d.mode (not masked by the umask),
// leaving whatever is already there alone.
func mkdirMode(d dir) error {
	if _, err := os.Lstat(d.path); err == nil {
		return nil
	}
	if err := os.MkdirAll(d.path, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", d.path, err)
	}
	if err := os.Chmod(d.path, d.mode); err != nil {
		return fmt.Errorf("creating %s: %w", d.path, err)
	}
	return nil
}

func symlinkIfMissing(l link) error {
	if _, err := os.Lstat(l.path); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.Symlink(l.target, l.path); err != nil {
		return fmt.Errorf("linking %s: %w", l.path, err)
	}
	return nil
}

func mountWritable(b *boot) error {
	return writableLayout(sysroot, filepath.Join(sysroot, stateDir)).apply(doMount)
}

// writeBootRecord leaves the milestones ("init" when the initramfs
// started, "state" when STATE was mounted) and, if STATE is a tmpfs, the
// reason in the new root's /run for the system stage (contract.Milestones,
// contract.StateDegraded).
func writeBootRecord(root string, ms []milestone, d *degraded) error {
	if err := appendFile(filepath.Join(root, contract.Milestones), milestoneLines(ms)); err != nil {
		return err
	}
	if d == nil {
		return nil
	}
	return appendFile(filepath.Join(root, contract.StateDegraded), d.marker())
}

func appendFile(file, data string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

func recordBoot(b *boot) error {
	return writeBootRecord(sysroot, b.uptimes, b.degraded)
}
