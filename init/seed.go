package rosinit

import (
	"os"

	"github.com/ros-os/ros/internal/randseed"
)

// saveSeed leaves a fresh random seed on STATE for the next boot's
// initramfs, once the kernel's pool is initialised: at once when the
// initramfs credited this boot's seed, else (the first boot) when the
// kernel has gathered its own entropy. A degraded STATE (a tmpfs) keeps none.
func saveSeed(st *state) {
	if _, err := os.Stat(st.opts.StateDegraded); err == nil {
		return
	}
	if err := randseed.Save(st.opts.pool, st.opts.RandomSeed); err != nil {
		st.log.Printf("WARNING: the next boot will wait for the kernel's entropy: %v", err)
	}
}
