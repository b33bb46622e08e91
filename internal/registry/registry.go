// Package registry runs Debian's docker-registry (the CNCF distribution
// registry) on a loopback port for end-to-end tests: a real OCI registry,
// not an in-process stand-in.
package registry

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Registry is a running docker-registry.
type Registry struct {
	Addr   string // host:port on 127.0.0.1
	dir    string // its config and storage
	cmd    *exec.Cmd
	client *http.Client
	scheme string
}

const config = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`

// Start runs a plain-HTTP registry storing its data under dir (a guest
// reaches the loopback port through QEMU's 10.0.2.2). Call Stop when done.
func Start(dir string) (*Registry, error) {
	return start(dir, filepath.Join(dir, "data"), "", &http.Client{}, "http")
}

// Secure is a registry the way fleets run one: TLS with a certificate of a
// CA of its own, and htpasswd logins.
type Secure struct {
	*Registry
	CA []byte // PEM: what a client puts in certs.d/HOST:PORT/ca.crt
}

// Secure runs a second registry on r's storage, over TLS with a
// certificate for ips (signed by a new CA) and asking for user and
// password, so a test fills r over plain HTTP and a client reaches the
// same images through the secure one.
func (r *Registry) Secure(user, password string, ips ...net.IP) (*Secure, error) {
	dir := filepath.Join(r.dir, "secure")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ca, err := newCA(dir, ips)
	if err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		return nil, err
	}
	extra := fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\nauth:\n  htpasswd:\n    realm: ros-test\n    path: %s\n",
		filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), htpasswd)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	s, err := start(dir, filepath.Join(r.dir, "data"), extra, client, "https")
	if err != nil {
		return nil, err
	}
	return &Secure{Registry: s, CA: ca}, nil
}

func start(dir, data, extra string, client *http.Client, scheme string) (*Registry, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(config, data, addr)+extra), 0o644); err != nil {
		return nil, fmt.Errorf("writing registry config: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, fmt.Errorf("creating the registry log: %w", err)
	}
	r := &Registry{Addr: addr, dir: dir, cmd: exec.Command("docker-registry", "serve", cfg), client: client, scheme: scheme}
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

// waitReady waits for /v2/ to answer: 200, or 401 where a login is asked.
func (r *Registry) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := r.client.Get(r.scheme + "://" + r.Addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("docker-registry on %s not ready after %s: %v", r.Addr, timeout, last)
}

// BlobBytes is how many bytes of blobs of repo the registry has served so
// far (bodies of GETs answered 200 or 206, whole or ranges), from its own
// access log: what a client downloaded, measured at the registry.
func (r *Registry) BlobBytes(repo string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(r.dir, "registry.log"))
	if err != nil {
		return 0, fmt.Errorf("reading the registry's access log: %w", err)
	}
	re := regexp.MustCompile(`"GET /v2/` + regexp.QuoteMeta(repo) + `/blobs/sha256:[0-9a-f]{64} HTTP/[0-9.]+" 20[06] ([0-9]+) `)
	var n int64
	for _, m := range re.FindAllSubmatch(b, -1) {
		v, err := strconv.ParseInt(string(m[1]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("the registry's access log: %w", err)
		}
		n += v
	}
	return n, nil
}

// Stop kills the registry.
func (r *Registry) Stop() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}
