package artifact

import (
	"encoding/base64"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// A private registry, the way fleets run one: TLS with a CA of its own
// and a password. ros reads the CA from certs.d/HOST:PORT/ca.crt, as
// dockerd does, and the password from a Docker config.json; without
// either, one line says what is wrong.
func TestPrivateRegistry(t *testing.T) {
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "fleet" || p != "s3cret" {
			// As docker-registry's htpasswd auth answers.
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}`)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")

	certs := t.TempDir()
	write(t, filepath.Join(certs, host, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	auth := filepath.Join(t.TempDir(), "config.json")
	write(t, auth, []byte(`{"auths": {"`+host+`": {"auth": "`+base64.StdEncoding.EncodeToString([]byte("fleet:s3cret"))+`"}}}`))
	wrong := filepath.Join(t.TempDir(), "config.json")
	write(t, wrong, []byte(`{"auths": {"`+host+`": {"username": "fleet", "password": "guess"}}}`))
	t.Setenv("HOME", t.TempDir()) // no credentials of the user running the test
	t.Setenv("DOCKER_CONFIG", "")

	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/ros/os:1.0.0"
	good := []Option{WithCertsDir(certs), WithAuthFile(auth)}
	if err := Push(img, ref, good...); err != nil {
		t.Fatalf("push with the CA and the password: %v", err)
	}
	if _, err := Open(ref, good...); err != nil {
		t.Fatalf("open with the CA and the password: %v", err)
	}
	if tags, err := Tags(host+"/ros/os", good...); err != nil || len(tags) != 1 {
		t.Fatalf("tags with the CA and the password: %v %v", tags, err)
	}

	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"no CA", []Option{WithCertsDir(t.TempDir()), WithAuthFile(auth)}, "(put the registry's CA certificate in /etc/docker/certs.d/" + host + "/ca.crt)"},
		{"no password", []Option{WithCertsDir(certs)}, "UNAUTHORIZED: authentication required (give its credentials in ros.registry_auths"},
		{"wrong password", []Option{WithCertsDir(certs), WithAuthFile(wrong)}, "UNAUTHORIZED: authentication required (give its credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(ref, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("open: %v, want one line with %q", err, tt.want)
			}
			t.Log(err)
		})
	}

	// A broken certs.d entry is named.
	bad := t.TempDir()
	write(t, filepath.Join(bad, host, "ca.crt"), []byte("not a certificate"))
	if _, err := Open(ref, WithCertsDir(bad), WithAuthFile(auth)); err == nil || !strings.Contains(err.Error(), "ca.crt holds no PEM certificate") {
		t.Fatalf("open with a broken ca.crt: %v", err)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
