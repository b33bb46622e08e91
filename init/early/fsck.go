package early

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// e2fsckPath is the slot's e2fsck, as seen from inside the slot.
const e2fsckPath = "/usr/sbin/e2fsck"

// fsckAction is what to do after e2fsck -p.
type fsckAction int

const (
	fsckMount   fsckAction = iota // clean or repaired: mount it
	fsckReboot                    // repaired, and e2fsck asks for a reboot
	fsckDamaged                   // not checked or not repaired: do not mount it
)

// fsckVerdict interprets an e2fsck exit code, a bit mask (e2fsck(8)), and
// says why in a line for the console. -1 means killed by a signal.
func fsckVerdict(code int) (fsckAction, string) {
	switch {
	case code < 0:
		return fsckDamaged, "e2fsck did not finish (killed by a signal)"
	case code == 0:
		return fsckMount, ""
	case code == 1:
		return fsckMount, "STATE: fsck repaired errors"
	case code <= 3:
		return fsckReboot, "STATE: fsck repaired errors and asks for a reboot"
	case code&4 != 0:
		return fsckDamaged, fmt.Sprintf("e2fsck found errors it could not repair (exit %d)", code)
	case code&8 != 0:
		return fsckDamaged, fmt.Sprintf("e2fsck could not check it (operational error, exit %d)", code)
	case code&16 != 0:
		return fsckDamaged, fmt.Sprintf("e2fsck rejected its arguments (usage error, exit %d)", code)
	case code&32 != 0:
		return fsckDamaged, fmt.Sprintf("e2fsck was cancelled (exit %d)", code)
	default:
		return fsckDamaged, fmt.Sprintf("e2fsck could not run (shared library error, exit %d)", code)
	}
}

// runFsck runs e2fsck -p on dev from the slot mounted at root and returns
// its exit code. The
// initramfs has no libc, so e2fsck runs chrooted into the slot, where its
// loader and libraries resolve as on the running system (the slot's
// /lib64/ld-linux-x86-64.so.2 is an absolute symlink, wrong from outside),
// with the initramfs's /dev and /proc bound in for the device node and
// /proc/mounts.
func runFsck(root, dev string) (int, error) {
	if _, err := os.Stat(filepath.Join(root, e2fsckPath)); err != nil {
		return 0, fmt.Errorf("the root slot has no %s: %w", e2fsckPath, err)
	}
	undo, err := bindInto(root, "/dev", "/proc")
	if err != nil {
		return 0, err
	}
	defer undo()
	cmd := exec.Command(e2fsckPath, "-p", dev)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin"}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("running e2fsck: %w", err)
	}
	return 0, nil
}

// bindInto bind-mounts dirs at the same place under root and returns a
// function that detaches them again.
func bindInto(root string, dirs ...string) (func(), error) {
	var done []string
	undo := func() {
		for i := len(done) - 1; i >= 0; i-- {
			_ = unix.Unmount(done[i], unix.MNT_DETACH)
		}
	}
	for _, d := range dirs {
		target := filepath.Join(root, d)
		if err := unix.Mount(d, target, "", unix.MS_BIND, ""); err != nil {
			undo()
			return nil, fmt.Errorf("binding %s to %s: %w", d, target, err)
		}
		done = append(done, target)
	}
	return undo, nil
}
