package slotstate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// ErrBusy: another upgrade, rollback or boot assessment holds the lock.
var ErrBusy = errors.New("another upgrade or rollback is running")

// lockPoll is how often Lock tries again while it waits.
const lockPoll = 50 * time.Millisecond

// Lock takes the upgrade lock, an flock of the file at path that ros os
// upgrade, ros os rollback and boot assessment share, so that only one of
// them changes the boot entries and the record at a time. It waits up to
// wait for the holder to let go (0: not at all), then fails with ErrBusy.
// unlock releases the lock.
func Lock(path string, wait time.Duration) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, permissionHint(fmt.Errorf("locking %s: %w", path, err))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, permissionHint(fmt.Errorf("locking %s: %w", path, err))
	}
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return func() { f.Close() }, nil
		case !errors.Is(err, unix.EWOULDBLOCK):
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		case !time.Now().Before(deadline):
			f.Close()
			return nil, fmt.Errorf("%w: wait for it to finish", ErrBusy)
		}
		time.Sleep(lockPoll)
	}
}

// permissionHint says what to do when a user without root gets this far.
func permissionHint(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w: run it with sudo", err)
	}
	return err
}
