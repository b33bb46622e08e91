package datasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// MetadataURL is the EC2-style instance metadata service, which EC2,
// OpenStack and many other clouds serve.
const MetadataURL = "http://169.254.169.254"

// IMDSv2: a session token is fetched with a PUT and sent with every GET.
const (
	tokenPath      = "/latest/api/token"
	tokenTTLHeader = "X-aws-ec2-metadata-token-ttl-seconds"
	tokenHeader    = "X-aws-ec2-metadata-token"
	tokenTTL       = "300"
)

// Paths of the metadata service Metadata reads.
const (
	userDataPath   = "/latest/user-data"
	publicKeysPath = "/latest/meta-data/public-keys/"
)

// Metadata reads the user-data and the SSH public keys of the instance
// from an EC2-style metadata service.
type Metadata struct {
	URL     string        // MetadataURL unless a test says otherwise
	Client  *http.Client  // each request's own timeout
	Timeout time.Duration // how long the service may take to answer at all
}

// NewMetadata is a Metadata for MetadataURL with short timeouts: 2 s a
// request, 20 s in all while the network comes up.
func NewMetadata() Metadata {
	return Metadata{URL: MetadataURL, Client: &http.Client{Timeout: 2 * time.Second}, Timeout: 20 * time.Second}
}

// errStatus is a metadata service's answer other than 200.
type errStatus struct{ code int }

func (e errStatus) Error() string { return fmt.Sprintf("HTTP %d %s", e.code, http.StatusText(e.code)) }

func isStatus(err error, code int) bool {
	var s errStatus
	return errors.As(err, &s) && s.code == code
}

// Fetch returns the instance's user-data (nil when it has none) and SSH
// keys. It uses an IMDSv2 token when the service gives one, and plain GETs
// (IMDSv1, as OpenStack serves) when it answers the token request with 403,
// 404 or 405. It tries again while the service cannot be reached, until
// m.Timeout.
func (m Metadata) Fetch(ctx context.Context) (Data, error) {
	ctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()
	d := Data{Name: "metadata:" + m.URL}
	var token string
	var err error
	for wait := firstBackoff; ; wait = min(2*wait, maxBackoff) {
		if token, err = m.token(ctx); err == nil || !retryable(err) {
			break
		}
		if !sleep(ctx, wait) {
			return Data{}, fmt.Errorf("metadata service %s: no answer in %s (%w): check the instance's network", m.URL, m.Timeout, err)
		}
	}
	if err != nil {
		return Data{}, fmt.Errorf("metadata service %s: %w", m.URL, err)
	}
	if d.Keys, err = m.keys(ctx, token); err != nil {
		return Data{}, fmt.Errorf("metadata service %s: public keys: %w", m.URL, err)
	}
	d.UserData, err = m.get(ctx, token, userDataPath)
	if isStatus(err, http.StatusNotFound) {
		d.UserData, err = nil, nil
	}
	if err != nil {
		return Data{}, fmt.Errorf("metadata service %s: user-data: %w", m.URL, err)
	}
	return d, nil
}

// retryable tells whether err is the service not answering (yet) rather
// than an answer.
func retryable(err error) bool {
	var s errStatus
	return !errors.As(err, &s) || s.code >= 500
}

// token asks for an IMDSv2 session token; "" and no error when the service
// has none to give (IMDSv1 only).
func (m Metadata) token(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, m.URL+tokenPath, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set(tokenTTLHeader, tokenTTL)
	body, err := m.do(req)
	switch {
	case isStatus(err, http.StatusForbidden), isStatus(err, http.StatusNotFound), isStatus(err, http.StatusMethodNotAllowed):
		return "", nil
	case err != nil:
		return "", err
	}
	return strings.TrimSpace(string(body)), nil
}

// keys reads public-keys/: lines "0=name", each key at N/openssh-key.
func (m Metadata) keys(ctx context.Context, token string) ([]string, error) {
	list, err := m.get(ctx, token, publicKeysPath)
	if isStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var idx []string
	for _, line := range strings.Split(string(list), "\n") {
		if n, _, ok := strings.Cut(strings.TrimSpace(line), "="); ok && n != "" {
			idx = append(idx, n)
		}
	}
	sort.Strings(idx)
	var keys []string
	for _, n := range idx {
		k, err := m.get(ctx, token, publicKeysPath+n+"/openssh-key")
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", n, err)
		}
		for _, line := range strings.Split(string(k), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				keys = append(keys, line)
			}
		}
	}
	return keys, nil
}

func (m Metadata) get(ctx context.Context, token, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+path, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set(tokenHeader, token)
	}
	return m.do(req)
}

func (m Metadata) do(req *http.Request) ([]byte, error) {
	resp, err := m.Client.Do(req)
	if err != nil {
		return nil, unwrapURL(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, errStatus{resp.StatusCode}
	}
	return readLimited(resp.Body)
}
