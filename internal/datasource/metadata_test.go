package datasource

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// imds is an EC2-style metadata service. With v2 it serves only requests
// that carry the token it gave (HttpTokens=required); without, it answers
// the token request 405 as OpenStack does.
type imds struct {
	v2       bool
	userData string // "" for none: 404
	keys     map[string]string
	down     int32 // answer this many requests 503 first
	requests atomic.Int32
}

const imdsToken = "tok-123"

func (s *imds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.requests.Add(1) <= s.down {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path == tokenPath {
		switch {
		case !s.v2:
			http.Error(w, "no", http.StatusMethodNotAllowed)
		case r.Method != http.MethodPut || r.Header.Get(tokenTTLHeader) == "":
			http.Error(w, "bad token request", http.StatusBadRequest)
		default:
			_, _ = w.Write([]byte(imdsToken))
		}
		return
	}
	if s.v2 && r.Header.Get(tokenHeader) != imdsToken {
		http.Error(w, "token required", http.StatusUnauthorized)
		return
	}
	switch p := r.URL.Path; {
	case p == userDataPath && s.userData != "":
		_, _ = w.Write([]byte(s.userData))
	case p == publicKeysPath && len(s.keys) > 0:
		var lines []string
		for n := range s.keys {
			lines = append(lines, n+"=key-"+n)
		}
		_, _ = w.Write([]byte(strings.Join(lines, "\n")))
	case strings.HasPrefix(p, publicKeysPath) && strings.HasSuffix(p, "/openssh-key"):
		k, ok := s.keys[strings.TrimSuffix(strings.TrimPrefix(p, publicKeysPath), "/openssh-key")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(k + "\n"))
	default:
		http.NotFound(w, r)
	}
}

func testMetadata(url string) Metadata {
	return Metadata{URL: url, Client: &http.Client{Timeout: time.Second}, Timeout: 3 * time.Second}
}

func TestMetadataFetch(t *testing.T) {
	keys := map[string]string{"0": "ssh-ed25519 AAAA0 zero@host", "1": "ssh-ed25519 AAAA1 one@host"}
	tests := []struct {
		name     string
		srv      *imds
		userData string
		keys     []string
	}{
		{"IMDSv2", &imds{v2: true, userData: "#cloud-config\nhostname: ec2\n", keys: keys}, "#cloud-config\nhostname: ec2\n", []string{keys["0"], keys["1"]}},
		{"IMDSv1 (OpenStack)", &imds{userData: "#cloud-config\n", keys: keys}, "#cloud-config\n", []string{keys["0"], keys["1"]}},
		{"keys only", &imds{v2: true, keys: keys}, "", []string{keys["0"], keys["1"]}},
		{"nothing", &imds{v2: true}, "", nil},
		{"starting up", &imds{v2: true, userData: "#cloud-config\n", down: 2}, "#cloud-config\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.srv)
			defer srv.Close()
			d, err := testMetadata(srv.URL).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch() error = %v", err)
			}
			if string(d.UserData) != tt.userData || (tt.userData == "" && d.UserData != nil) {
				t.Errorf("Fetch() user-data = %q; want %q", d.UserData, tt.userData)
			}
			if strings.Join(d.Keys, "|") != strings.Join(tt.keys, "|") {
				t.Errorf("Fetch() keys = %q; want %q", d.Keys, tt.keys)
			}
			if d.Name != "metadata:"+srv.URL {
				t.Errorf("Fetch() name = %q", d.Name)
			}
		})
	}
}

func TestMetadataFailures(t *testing.T) {
	t.Run("no service", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close() // nothing listens there any more
		start := time.Now()
		_, err := testMetadata(url).Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), "no answer in 3s") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Fetch() error = %v; want one line saying the service did not answer", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Fetch() took %s with a 3 s timeout", d)
		}
	})
	t.Run("token refused", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad", http.StatusBadRequest)
		}))
		defer srv.Close()
		_, err := testMetadata(srv.URL).Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("Fetch() error = %v; want the 400 named", err)
		}
	})
	t.Run("key missing", func(t *testing.T) {
		srv := httptest.NewServer(&imds{v2: true, keys: map[string]string{"0": "k"}})
		defer srv.Close()
		m := testMetadata(srv.URL)
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == publicKeysPath {
				_, _ = w.Write([]byte("0=gone"))
				return
			}
			(&imds{v2: false}).ServeHTTP(w, r)
		})
		_, err := m.Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), "key 0") {
			t.Errorf("Fetch() error = %v; want the missing key named", err)
		}
	})
}
