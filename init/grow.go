package rosinit

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// growStateFS grows STATE's ext4 to its partition, online, when the
// partition is clearly bigger than the filesystem: the initramfs grew the
// partition to the end of a bigger disk (a cloud image). A failure is
// logged; STATE keeps its size.
func growStateFS(_ context.Context, st *state) error {
	var src string
	mounts, err := st.opts.proc.Mounts()
	if err != nil {
		return nil
	}
	for _, m := range mounts {
		if m.Point == st.opts.State {
			src = m.Source
		}
	}
	if src == "" || filepath.Dir(src) != "/dev" {
		return nil // the tmpfs stand-in, a live system
	}
	var sfs unix.Statfs_t
	if err := unix.Statfs(st.opts.State, &sfs); err != nil {
		return nil
	}
	part := int64(st.opts.proc.Sectors(filepath.Base(src))) * 512
	fs := int64(sfs.Blocks) * sfs.Bsize
	if !needsGrowth(part, fs) {
		return nil
	}
	st.log.Printf("growing STATE's filesystem on %s to its partition (%d MB)", src, part>>20)
	if out, err := st.opts.output(exec.Command("resize2fs", src)); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		st.log.Printf("growing STATE's filesystem: %v: %s", err, lines[len(lines)-1])
	}
	return nil
}

// needsGrowth: a partition of part bytes holds an ext4 of fs bytes
// (statfs's, without its metadata) that is worth growing.
func needsGrowth(part, fs int64) bool {
	return part > fs+fs/10+64<<20
}
