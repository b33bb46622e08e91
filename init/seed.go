package rosinit

import (
	"errors"
	"io/fs"
	"os"

	"github.com/ros-os/ros/internal/randseed"
)

// saveSeed leaves a random seed on STATE for the next boot's initramfs
// when there is none: the initramfs replaces the one it credits, so this
// writes only at a first boot (or after the initramfs had to remove a used
// seed), once the kernel has gathered its own entropy. A degraded STATE (a
// tmpfs) keeps none.
func saveSeed(st *state) {
	if _, err := os.Stat(st.opts.StateDegraded); err == nil {
		return
	}
	if _, err := os.Stat(st.opts.RandomSeed); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err := randseed.Save(st.opts.pool, st.opts.RandomSeed); err != nil {
		st.log.Printf("WARNING: the next boot will wait for the kernel's entropy: %v", err)
	}
}
