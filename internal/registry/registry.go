// Package registry runs Debian's docker-registry (the CNCF distribution
// registry) on a loopback port for end-to-end tests: a real OCI registry,
// not an in-process stand-in.
package registry

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Registry is a running docker-registry.
type Registry struct {
	Addr string // host:port on 127.0.0.1
	cmd  *exec.Cmd
}

const config = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`

// Start runs a registry storing its data under dir. Call Stop when done.
func Start(dir string) (*Registry, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(config, filepath.Join(dir, "data"), addr)), 0o644); err != nil {
		return nil, fmt.Errorf("writing registry config: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, fmt.Errorf("creating the registry log: %w", err)
	}
	r := &Registry{Addr: addr, cmd: exec.Command("docker-registry", "serve", cfg)}
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting docker-registry (apt-get install docker-registry): %w", err)
	}
	if err := r.waitReady(30 * time.Second); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (r *Registry) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + r.Addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("docker-registry on %s not ready after %s", r.Addr, timeout)
}

// Stop kills the registry.
func (r *Registry) Stop() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}
