package artifact

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/ros-os/ros/internal/contract"
)

// CertsDir is where registries' certificates are kept the Docker way:
// certs.d/HOST[:PORT]/*.crt are extra CAs for that registry, *.cert with
// the *.key of the same name a client certificate. dockerd reads the same
// directory, so one file serves ros and both Docker daemons.
const CertsDir = contract.CertsDir

// certsTransport is http.DefaultTransport with the TLS configuration of
// each registry host read from dir when first used.
type certsTransport struct {
	dir    string
	mu     sync.Mutex
	byHost map[string]http.RoundTripper
}

func newCertsTransport(dir string) *certsTransport {
	return &certsTransport{dir: dir, byHost: map[string]http.RoundTripper{}}
}

func (c *certsTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return http.DefaultTransport.RoundTrip(req)
	}
	t, err := c.forHost(req.URL.Host)
	if err != nil {
		return nil, err
	}
	return t.RoundTrip(req)
}

func (c *certsTransport) forHost(host string) (http.RoundTripper, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.byHost[host]; ok {
		return t, nil
	}
	cfg, err := hostTLS(filepath.Join(c.dir, host))
	if err != nil {
		return nil, err
	}
	var t http.RoundTripper = http.DefaultTransport
	if cfg != nil {
		dt := http.DefaultTransport.(*http.Transport).Clone()
		dt.TLSClientConfig = cfg
		t = dt
	}
	c.byHost[host] = t
	return t, nil
}

// hostTLS reads one host's directory as dockerd does (moby's
// registry.ReadCertsDirectory, which would bring in another module):
// nil when the directory does not exist.
func hostTLS(dir string) (*tls.Config, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the registry certificates: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch filepath.Ext(e.Name()) {
		case ".crt":
			if cfg.RootCAs == nil {
				if cfg.RootCAs, err = x509.SystemCertPool(); err != nil {
					cfg.RootCAs = x509.NewCertPool()
				}
			}
			pemBytes, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("reading the registry certificates: %w", err)
			}
			if !cfg.RootCAs.AppendCertsFromPEM(pemBytes) {
				return nil, fmt.Errorf("%s holds no PEM certificate: put the registry's CA certificate there", p)
			}
		case ".cert":
			key := strings.TrimSuffix(p, ".cert") + ".key"
			pair, err := tls.LoadX509KeyPair(p, key)
			if err != nil {
				return nil, fmt.Errorf("client certificate %s: %w (its key goes in %s)", p, err, filepath.Base(key))
			}
			cfg.Certificates = append(cfg.Certificates, pair)
		}
	}
	return cfg, nil
}

// registryError is an error of a registry request on one line (a
// registry's answer may hold newlines), with what to do about it.
type registryError struct {
	doing string
	err   error
	hint  string
}

func (e *registryError) Error() string {
	return e.doing + ": " + strings.Join(strings.Fields(e.err.Error()), " ") + e.hint
}

func (e *registryError) Unwrap() error { return e.err }

func registryErr(doing string, err error, host string) error {
	return &registryError{doing: doing, err: err, hint: hint(err, host)}
}

// hint says what to do about a registry that refused ros: its CA or its
// credentials are missing. Empty for other errors.
func hint(err error, host string) string {
	// (ggcr's ping joins the https and http attempts' errors in a type
	// errors.As does not see through.)
	var unknownCA x509.UnknownAuthorityError
	if errors.As(err, &unknownCA) || strings.Contains(err.Error(), "x509: certificate signed by unknown authority") {
		return fmt.Sprintf(" (put the registry's CA certificate in %s/%s/ca.crt)", CertsDir, host)
	}
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return fmt.Sprintf(" (give its credentials in ros.registry_auths of the cloud-config, or docker login %s)", host)
	}
	return ""
}
