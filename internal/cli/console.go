package cli

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ros-os/ros/init/cmdline"
	"github.com/ros-os/ros/internal/rospath"
)

// newConsoleCmd is the entrypoint of the console system service: logins on
// the serial console and the first virtual terminal, and sshd, respawned
// when they end.
func newConsoleCmd() *cobra.Command {
	return &cobra.Command{
		Use: "console", Short: "Run the login consoles (the entrypoint of the console system service)",
		Hidden: true, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := setupConsoleUser(); err != nil {
				return err
			}
			cfg, err := defaultStore().appliedConfig()
			if err != nil {
				return err
			}
			autologin := kernelArg("ros.autologin") || cfg.Ros.Console.Autologin
			if autologin {
				if err := os.WriteFile("/bin/autologin", []byte("#!/bin/sh\nexec login -f "+rospath.DefaultUser+"\n"), 0o755); err != nil {
					return fmt.Errorf("writing autologin: %w", err)
				}
			}
			var wg sync.WaitGroup
			for _, tty := range []string{"ttyS0", "tty1"} {
				wg.Add(1)
				go func(tty string) {
					defer wg.Done()
					respawn(gettyArgs(tty, autologin && tty == "ttyS0"))
				}(tty)
			}
			if err := setupSSHD(); err != nil {
				fmt.Fprintf(os.Stderr, "console: sshd: %v\n", err)
			} else {
				wg.Add(1)
				go func() { defer wg.Done(); respawn([]string{"/usr/sbin/sshd", "-D", "-e"}) }()
			}
			wg.Wait()
			return nil
		},
	}
}

// sshHostKeys are made once, at the first boot; /etc/ssh is on STATE.
var sshHostKeys = []string{"ed25519", "ecdsa"}

// setupSSHD makes sshd's privilege separation directory and host keys.
func setupSSHD() error {
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return err
	}
	for _, t := range sshHostKeys {
		key := "/etc/ssh/ssh_host_" + t + "_key"
		if _, err := os.Stat(key); err == nil {
			continue
		}
		if out, err := exec.Command("ssh-keygen", "-q", "-t", t, "-N", "", "-C", "", "-f", key).CombinedOutput(); err != nil {
			return fmt.Errorf("making the %s host key: %v: %s", t, err, out)
		}
	}
	return nil
}

func gettyArgs(tty string, autologin bool) []string {
	if autologin {
		return []string{"getty", "-n", "-l", "/bin/autologin", "115200", tty}
	}
	return []string{"getty", "115200", tty}
}

// respawn runs a getty again whenever it ends, as init's respawn does.
func respawn(argv []string) {
	for {
		start := time.Now()
		cmd := exec.Command(argv[0], argv[1:]...)
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "console: %s: %v\n", strings.Join(argv, " "), err)
		}
		if time.Since(start) < time.Second {
			time.Sleep(2 * time.Second) // a missing tty must not spin
		}
	}
}

// kernelArg reports whether the kernel command line has the argument name.
func kernelArg(name string) bool {
	b, _ := os.ReadFile("/proc/cmdline")
	_, ok := cmdline.Parse(string(b)).Args[name]
	return ok
}

// setupConsoleUser gives the default user a home on STATE.
func setupConsoleUser() error {
	home := "/home/" + rospath.DefaultUser
	if _, err := os.Stat(home); err == nil {
		return nil
	}
	if err := os.MkdirAll(home, 0o750); err != nil {
		return fmt.Errorf("creating %s: %w", home, err)
	}
	profile := "export PS1='\\u@\\h:\\w\\$ '\n"
	if err := os.WriteFile(home+"/.profile", []byte(profile), 0o644); err != nil {
		return fmt.Errorf("creating %s: %w", home, err)
	}
	for _, p := range []string{home, home + "/.profile"} {
		if err := os.Chown(p, rospath.DefaultUID, rospath.DefaultUID); err != nil {
			return fmt.Errorf("creating %s: %w", home, err)
		}
	}
	return nil
}
