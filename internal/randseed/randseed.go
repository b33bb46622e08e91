// Package randseed keeps a random seed on STATE, so that at every boot after
// the first the kernel's random pool is initialised by the initramfs instead
// of by the entropy the kernel gathers itself. Without RDRAND or a virtio-rng
// device (QEMU TCG here) that took 8–15 s of the boot, and every
// crypto/rand read of dockerd waited for it (docs/benchmarks.md, issue 16).
//
// A seed is credited once: Use replaces the file with fresh bytes from the
// pool before it returns, or removes it. Save writes one where there is
// none, once the pool is initialised by whatever means; the installer never writes one, so copies
// of an installed disk image do not share a seed.
package randseed

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unsafe"

	"github.com/moby/sys/atomicwriter"
	"golang.org/x/sys/unix"
)

// Size is the length of a seed file, as systemd's.
const Size = 512

// minSize is the shortest seed credited: Linux's pool is 256 bits.
const minSize = 32

// Pool is the kernel's random pool.
type Pool interface {
	// Credit mixes seed into the pool and counts it as entropy.
	Credit(seed []byte) error
	// Read fills p from the pool; with wait false it fails while the
	// pool is not initialised.
	Read(p []byte, wait bool) error
}

// Kernel is the running kernel's pool: RNDADDENTROPY on /dev/urandom and
// getrandom(2).
var Kernel Pool = kernel{}

// Use credits the seed at path, if there is one of at least 32 bytes, and
// replaces it with a fresh one. It reports whether it credited a seed. A
// missing file is no error.
func Use(p Pool, path string) (bool, error) {
	seed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the random seed: %w", err)
	}
	credited := false
	if len(seed) >= minSize {
		if err := p.Credit(seed); err != nil {
			return false, fmt.Errorf("crediting the random seed %s: %w", path, err)
		}
		credited = true
	}
	clear(seed)
	if err := save(p, path, false); err != nil {
		// Never credit the same bytes twice: without a fresh seed the
		// used one goes.
		if rm := os.Remove(path); rm != nil && !errors.Is(rm, fs.ErrNotExist) {
			return credited, fmt.Errorf("replacing the used random seed: %w; removing it: %w", err, rm)
		}
		return credited, fmt.Errorf("replacing the used random seed (removed it): %w", err)
	}
	return credited, nil
}

// Save writes a fresh seed to path (synced, then renamed into place),
// waiting until the kernel's pool is initialised.
func Save(p Pool, path string) error { return save(p, path, true) }

func save(p Pool, path string, wait bool) error {
	seed := make([]byte, Size)
	defer clear(seed)
	if err := p.Read(seed, wait); err != nil {
		return fmt.Errorf("reading the kernel's random pool: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing the random seed: %w", err)
	}
	if err := atomicwriter.WriteFile(path, seed, 0o600); err != nil {
		return fmt.Errorf("writing the random seed: %w", err)
	}
	// The rename is durable only once the directory is: until then a power
	// cut could bring the used seed back.
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("syncing the random seed's directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing the random seed's directory: %w", err)
	}
	return nil
}

// poolInfo is struct rand_pool_info for RNDADDENTROPY: the bits credited,
// the buffer's size, the buffer.
func poolInfo(seed []byte) []byte {
	b := make([]byte, 8+len(seed))
	binary.NativeEndian.PutUint32(b[0:], uint32(8*len(seed)))
	binary.NativeEndian.PutUint32(b[4:], uint32(len(seed)))
	copy(b[8:], seed)
	return b
}

type kernel struct{}

func (kernel) Credit(seed []byte) error {
	f, err := os.OpenFile("/dev/urandom", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	info := poolInfo(seed)
	defer clear(info)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.RNDADDENTROPY, uintptr(unsafe.Pointer(&info[0])))
	if errno != 0 {
		return fmt.Errorf("RNDADDENTROPY: %w", errno)
	}
	return nil
}

func (kernel) Read(p []byte, wait bool) error {
	flags := unix.GRND_NONBLOCK
	if wait {
		flags = 0
	}
	for len(p) > 0 {
		n, err := unix.Getrandom(p, flags)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("getrandom: %w", err)
		}
		p = p[n:]
	}
	return nil
}
