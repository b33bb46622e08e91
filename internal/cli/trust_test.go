package cli

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/testimage"
)

func pubKey(t *testing.T, dir, name string) string {
	t.Helper()
	_, pub, err := signature.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), pub, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return string(pub)
}

func keyNames(keys []signature.Key) string {
	var n []string
	for _, k := range keys {
		n = append(n, filepath.Base(k.Name))
	}
	return strings.Join(n, " ")
}

// The machine trusts the image's keys and the cloud-config's, or only the
// cloud-config's when it replaces them (key rotation).
func TestKeysOf(t *testing.T) {
	dir := t.TempDir()
	pubKey(t, dir, "image.pub")
	extra := pubKey(t, "", "")
	tests := []struct {
		name string
		dir  string
		u    config.Upgrade
		want string
	}{
		{"image only", dir, config.Upgrade{}, "image.pub"},
		{"no trust dir", filepath.Join(dir, "none"), config.Upgrade{}, ""},
		{"added", dir, config.Upgrade{Trust: []string{extra}}, "image.pub ros.upgrade.trust[0]"},
		{"replaced", dir, config.Upgrade{Trust: []string{extra}, ReplaceTrust: true}, "ros.upgrade.trust[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := keysOf(tt.dir, tt.u)
			if err != nil {
				t.Fatal(err)
			}
			if got := keyNames(keys); got != tt.want {
				t.Errorf("keys %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := keysOf(dir, config.Upgrade{Trust: []string{"junk"}}); err == nil || !strings.Contains(err.Error(), "ros.upgrade.trust[0]") {
		t.Errorf("a bad key in ros.upgrade.trust: %v, want an error naming it", err)
	}
}

// ros os list marks each version by its signature.
func TestSignedMark(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/ros/os"
	for _, v := range []string{"1.0.0", "2.0.0"} {
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := artifact.Push(img, repo+":"+v, artifact.WithInsecure()); err != nil {
			t.Fatal(err)
		}
	}
	testimage.Sign(t, repo+":1.0.0")
	opts := []artifact.Option{artifact.WithInsecure()}
	k, err := signature.ParsePublicKey("other.pub", []byte(pubKey(t, "", "")))
	if err != nil {
		t.Fatal(err)
	}
	other := trust.Policy{Keys: []signature.Key{k}}
	tests := []struct {
		ref  string
		p    trust.Policy
		want string
	}{
		{repo + ":1.0.0", testimage.Trust(t), "signed"},
		{repo + ":2.0.0", testimage.Trust(t), "unsigned"},
		{repo + ":1.0.0", other, "not signed by a trusted key"},
		{repo + ":1.0.0", trust.Policy{}, "signature not checked: no trusted keys"},
		{repo + ":9.9.9", testimage.Trust(t), "signature not checked: unreadable"},
	}
	for _, tt := range tests {
		if got := signedMark(tt.p, tt.ref, opts); got != tt.want {
			t.Errorf("signedMark(%s) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestProxyVars(t *testing.T) {
	env := []string{"HTTPS_PROXY=http://proxy:3128", "no_proxy=10.0.0.0/8", "http_proxy=http://p:80", "GREETING=hi"}
	set := map[string]string{"http_proxy": "http://mine:8080"}
	lookup := func(k string) (string, bool) { v, ok := set[k]; return v, ok }
	got := proxyVars(env, lookup)
	if want := []string{"HTTPS_PROXY=http://proxy:3128", "no_proxy=10.0.0.0/8"}; !reflect.DeepEqual(got, want) {
		t.Errorf("proxyVars = %q, want %q (the session's own proxy kept, other variables left)", got, want)
	}
}
