package rosinit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ros-os/ros/init/kmod"
	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
)

// applyConfig applies what the cloud-config sets on the host. Each item that
// fails is logged and skipped: a config never stops the boot.
func applyConfig(ctx context.Context, st *state) error {
	c := st.cfg
	if len(c.Ros.Sysctl) > 0 {
		// Keys such as net.bridge.* exist once their modules have loaded.
		if err := waitModules(ctx, st); err != nil {
			st.log.Printf("cloud-config: sysctl: %v", err)
		}
	}
	for _, kv := range c.Ros.Environment {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	for _, apply := range []func(*state, config.Config) error{
		applyEnvironment, applySysctl, applyModules, applyMounts, applyWriteFiles, applySSHKeys, applyRegistryAuths,
	} {
		if err := apply(st, c); err != nil {
			st.log.Printf("cloud-config: %v", err)
		}
	}
	return nil
}

// applyEnvironment writes ros.environment where the login shells of the
// console (serial, ssh) read it: login clears the environment the console
// service was started with, and a user's ros os upgrade needs HTTPS_PROXY.
func applyEnvironment(st *state, c config.Config) error {
	var b strings.Builder
	for _, kv := range c.Ros.Environment {
		k, v, _ := strings.Cut(kv, "=") // names checked by config.Parse
		fmt.Fprintf(&b, "export %s='%s'\n", k, strings.ReplaceAll(v, "'", `'\''`))
	}
	if err := os.MkdirAll(filepath.Dir(st.opts.Environment), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(st.opts.Environment, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("ros.environment: %w", err)
	}
	return nil
}

func applySysctl(st *state, c config.Config) error {
	for k, v := range c.Ros.Sysctl {
		path := filepath.Join(st.opts.ProcSys, strings.ReplaceAll(k, ".", "/"))
		if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
			st.log.Printf("cloud-config: sysctl %s=%s: %v", k, v, err)
		}
	}
	return nil
}

func applyModules(st *state, c config.Config) error {
	if len(c.Ros.Modules) == 0 {
		return nil
	}
	rel, err := kmod.Release()
	if err != nil {
		return err
	}
	if err := st.opts.loadKmods(filepath.Join(st.opts.KernelModules, rel), c.Ros.Modules...); err != nil {
		return fmt.Errorf("loading modules: %w", err)
	}
	return nil
}

func applyMounts(st *state, c config.Config) error {
	for _, m := range c.Mounts {
		argv := mountArgv(m)
		if err := os.MkdirAll(m[1], 0o755); err != nil {
			st.log.Printf("cloud-config: mounts: %v", err)
			continue
		}
		if out, err := st.opts.output(exec.Command(argv[0], argv[1:]...)); err != nil {
			st.log.Printf("cloud-config: mounts: %s: %v: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// mountArgv is the mount(8) command of a cloud-init mounts entry
// [device, mountpoint, fstype, options].
func mountArgv(m []string) []string {
	argv := []string{"mount"}
	if len(m) > 2 && m[2] != "" && m[2] != "auto" {
		argv = append(argv, "-t", m[2])
	}
	if len(m) > 3 && m[3] != "" && m[3] != "defaults" {
		argv = append(argv, "-o", m[3])
	}
	return append(argv, m[0], m[1])
}

func applyWriteFiles(st *state, c config.Config) error {
	for _, f := range c.WriteFiles {
		if err := writeFile(st.opts, f); err != nil {
			st.log.Printf("cloud-config: write_files %s: %v", f.Path, err)
		}
	}
	return nil
}

func writeFile(o options, f config.WriteFile) error {
	data, err := f.Decode()
	if err != nil {
		return err
	}
	mode, err := f.Mode()
	if err != nil {
		return err
	}
	uid, gid, err := lookupOwner(f.Owner)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(f.Path, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(f.Path, mode); err != nil { // umask
		return err
	}
	return o.chown(f.Path, uid, gid)
}

// lookupOwner resolves "user[:group]" on the host; a user alone gets its
// primary group.
func lookupOwner(owner string) (uid, gid int, err error) {
	if owner == "" {
		return 0, 0, nil
	}
	name, group, hasGroup := strings.Cut(owner, ":")
	u, err := user.Lookup(name)
	if err != nil {
		if u, err = user.LookupId(name); err != nil {
			return 0, 0, fmt.Errorf("owner %s: no such user", owner)
		}
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	if hasGroup {
		g, err := user.LookupGroup(group)
		if err != nil {
			if g, err = user.LookupGroupId(group); err != nil {
				return 0, 0, fmt.Errorf("owner %s: no such group", owner)
			}
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid, nil
}

// applySSHKeys writes the keys where sshd looks (see images/rootfs/sshd_config).
func applySSHKeys(st *state, c config.Config) error {
	if err := os.MkdirAll(st.opts.SSHKeysDir, 0o755); err != nil {
		return err
	}
	keys := strings.Join(c.SSHAuthorizedKeys, "\n")
	if keys != "" {
		keys += "\n"
	}
	return os.WriteFile(filepath.Join(st.opts.SSHKeysDir, contract.DefaultUser+".keys"), []byte(keys), 0o644)
}

func runBootcmd(ctx context.Context, st *state) error {
	if len(st.cfg.Bootcmd) > 0 {
		// bootcmd runs before the services, with every module of the image
		// loaded (iptables rules, say).
		if err := waitModules(ctx, st); err != nil {
			st.log.Printf("bootcmd: %v", err)
		}
	}
	runCommands(ctx, st, "bootcmd", st.cfg.Bootcmd)
	return nil
}

// startRuncmd runs runcmd in the background once the system is healthy, so
// a slow or hanging command does not hold up the boot.
func startRuncmd(ctx context.Context, st *state) error {
	if len(st.cfg.Runcmd) > 0 {
		go runCommands(ctx, st, "runcmd", st.cfg.Runcmd)
	}
	return nil
}

// runCommands runs each command in turn, output to the console; a failure
// is logged and the next one runs.
func runCommands(ctx context.Context, st *state, what string, cmds []config.RunCommand) {
	for i, argv := range cmds {
		cctx, cancel := context.WithTimeout(ctx, commandTimeout)
		cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
		st.log.Printf("%s[%d]: %s", what, i, strings.Join(argv, " "))
		if err := st.opts.reaper.Run(cmd); err != nil {
			st.log.Printf("%s[%d] failed: %v", what, i, err)
		}
		cancel()
	}
}

// commandTimeout bounds one bootcmd or runcmd entry.
const commandTimeout = 2 * time.Minute

// earlyDHCP takes a lease on the first NIC so a cloud-config URL can be
// fetched before the network service runs.
func earlyDHCP(ctx context.Context, st *state) {
	// The NIC drivers are among the modules loading in the background.
	if err := waitModules(ctx, st); err != nil {
		st.log.Printf("cloud-config: %v", err)
	}
	nics := st.opts.proc.Ethernet()
	if len(nics) == 0 {
		st.log.Printf("cloud-config: no network interface to fetch the config with")
		return
	}
	cmd := exec.Command("udhcpc", "-n", "-q", "-f", "-t", "5", "-i", nics[0], "-s", contract.UdhcpcScript)
	if err := st.opts.reaper.Run(cmd); err != nil {
		st.log.Printf("cloud-config: DHCP on %s: %v", nics[0], err)
	}
}
