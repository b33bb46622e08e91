package rosinit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/procsys"
)

// mount is one filesystem PID 1 mounts on the real root.
type mount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

// systemMounts are mounted in order; an existing mount is left alone.
var systemMounts = []mount{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "gid=5,mode=620,ptmxmode=666"},
	{"tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
	{"cgroup2", "/sys/fs/cgroup", "cgroup2", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "nsdelegate"},
}

// runDirs are the directories the services and the tools expect.
var runDirs = []string{"/run/ros/net", "/run/lock", "/var/log", contract.RecordDir, "/run/docker", "/run/system-docker", "/state/ros"}

func mountSystem(_ context.Context, st *state) error {
	if err := mountAll(st.opts); err != nil {
		return err
	}
	for _, d := range runDirs {
		if err := os.MkdirAll(filepath.Join(st.opts.Root, d), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	if err := touch(st.opts.Resolv); err != nil {
		return err
	}
	st.log = st.opts.newLogger() // /dev/kmsg exists now
	mountEFIVars(st)
	if st.opts.pool != nil {
		go saveSeed(st)
	}
	st.log.Printf("%s: system stage", buildinfo.String())
	st.milestones = readMilestones(st.opts.Milestones)
	for _, m := range st.milestones {
		st.log.Printf("milestone %s at %.2f s", m.Name, m.Uptime)
	}
	st.mark("system")
	return nil
}

// mountAll mounts the system filesystems under o.Root; an existing mount
// is left alone.
func mountAll(o options) error {
	for _, m := range systemMounts {
		target := filepath.Join(o.Root, m.target)
		if procsys.IsMountPoint(target) {
			continue
		}
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", m.target, err)
		}
		if err := o.mount(m.source, target, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mounting %s: %w", m.target, err)
		}
	}
	return nil
}

// mountEFIVars mounts efivarfs read-only on an EFI boot: systemd-boot's
// LoaderDevicePartUUID there names the ESP it started from, and the
// partitions of that disk alone are ros's (partitions.DeviceByLabel).
func mountEFIVars(st *state) {
	target := filepath.Join(st.opts.Root, procsys.EFIVars)
	if _, err := os.Stat(target); err != nil {
		return // not an EFI boot
	}
	if !procsys.IsMountPoint(target) { // the initramfs's moved here with /sys
		if err := st.opts.mount("efivarfs", target, "efivarfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			st.log.Printf("WARNING: mounting efivarfs: %v: ros partitions are looked for on every disk", err)
			return
		}
	}
	// For the console, whose sysfs has no efivarfs: ros os upgrade runs there.
	if esp := (procsys.FS{Root: st.opts.Root}).LoaderDevicePartUUID(); esp != "" {
		if err := os.WriteFile(filepath.Join(st.opts.Root, contract.BootESP), []byte(esp+"\n"), 0o644); err != nil {
			st.log.Printf("WARNING: %v", err)
		}
	}
}

// touch creates an empty file if it does not exist.
func touch(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	return f.Close()
}
