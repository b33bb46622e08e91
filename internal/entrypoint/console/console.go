// Package console is the entrypoint of the console system service: logins
// on the serial console and the first virtual terminal, and sshd, respawned
// when they end.
package console

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/procsys"
)

// Run runs the consoles until they all end (never, as they respawn).
// autologin (ros.console.autologin) logs the default user in on ttyS0, as
// does ros.autologin on the kernel command line.
func Run(autologin bool) error {
	if err := setupConsoleUser(); err != nil {
		// A full or read-only STATE: log in without a home rather than not at all.
		fmt.Fprintf(os.Stderr, "console: %v\n", err)
	} else if err := mergeRegistryAuths(contract.RegistryAuth, contract.DefaultHome+"/.docker"); err != nil {
		fmt.Fprintf(os.Stderr, "console: %v\n", err)
	}
	if c, err := procsys.Host.Cmdline(); err == nil && c.Has("ros.autologin") {
		autologin = true
	}
	if autologin {
		if err := os.WriteFile(autologinScript, []byte("#!/bin/sh\nexec login -f "+contract.DefaultUser+"\n"), 0o755); err != nil {
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
}

// autologinScript is getty's login program for autologin, on a tmpfs that
// is writable in the console's container and, when PID 1 runs the
// console itself, on the host.
const autologinScript = contract.RunDir + "/autologin"

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
		return []string{"getty", "-n", "-l", autologinScript, "115200", tty}
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

// setupConsoleUser gives the default user a home on STATE.
func setupConsoleUser() error {
	home := contract.DefaultHome
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
		if err := os.Chown(p, contract.DefaultUID, contract.DefaultGID); err != nil {
			return fmt.Errorf("creating %s: %w", home, err)
		}
	}
	return nil
}
