package early

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// nextInit is what runs after the switch: the full ros binary on the slot.
const nextInit = "/sbin/init"

// movedMounts are the initramfs mounts that move into the new root: the
// system stage finds them mounted and must not mount them again.
var movedMounts = []string{"/dev", "/proc", "/sys"}

// switchRoot does what busybox switch_root does: move the API file systems
// into the slot, free the initramfs's memory, make the slot the root and
// exec its init as PID 1, with the same environment.
func switchRoot(b *boot) error {
	if _, err := os.Stat(filepath.Join(sysroot, nextInit)); err != nil {
		return fmt.Errorf("the root slot has no %s: %w", nextInit, err)
	}
	for _, d := range movedMounts {
		if err := unix.Mount(d, filepath.Join(sysroot, d), "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("moving %s into the root slot: %w", d, err)
		}
	}
	_ = unix.Unmount("/run", unix.MNT_DETACH) // the slot has its own /run
	if err := os.Chdir(sysroot); err != nil {
		return fmt.Errorf("entering %s: %w", sysroot, err)
	}
	cleanInitramfs(b)
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("moving %s to /: %w", sysroot, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("changing root: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return fmt.Errorf("entering the new root: %w", err)
	}
	handOverWatchdog(b)
	b.log.Printf("starting %s", nextInit)
	if err := unix.Exec(nextInit, []string{nextInit}, os.Environ()); err != nil {
		return fmt.Errorf("executing %s: %w", nextInit, err)
	}
	return nil
}

// cleanInitramfs deletes the initramfs's files, whose memory is otherwise
// lost for good once the slot is mounted over them. It checks that / is a
// ramfs or tmpfs and never crosses into another file system (the slot).
func cleanInitramfs(b *boot) {
	var sfs unix.Statfs_t
	if err := unix.Statfs("/", &sfs); err != nil || (sfs.Type != unix.RAMFS_MAGIC && sfs.Type != unix.TMPFS_MAGIC) {
		b.log.Printf("not deleting the initramfs: / is not a ramfs or tmpfs")
		return
	}
	var st unix.Stat_t
	if err := unix.Lstat("/", &st); err != nil {
		b.log.Printf("not deleting the initramfs: %v", err)
		return
	}
	if n := removeContents("/", st.Dev); n > 0 {
		b.log.Printf("deleting the initramfs: %d files could not be removed", n)
	}
}

// removeContents removes everything under dir that lives on device dev,
// not descending into other file systems, and returns how many entries it
// could not remove. dir itself stays.
func removeContents(dir string, dev uint64) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 1
	}
	failed := 0
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil || st.Dev != dev {
			continue
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			failed += removeContents(p, dev)
			if unix.Rmdir(p) != nil {
				failed++
			}
			continue
		}
		if unix.Unlink(p) != nil {
			failed++
		}
	}
	return failed
}
