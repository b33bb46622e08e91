package console

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The cloud-config's registry credentials join the user's own docker
// logins; the file stays the user's and private.
func TestMergeRegistryAuths(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown to the default user") // CI runs as root
	}
	dir := t.TempDir()
	from := filepath.Join(dir, "registry-auth.json")
	docker := filepath.Join(dir, "home/.docker")
	if err := os.WriteFile(from, []byte(`{"auths": {"registry.example.com:5000": {"auth": "ZmxlZXQ6czNjcmV0"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(docker, 0o700); err != nil {
		t.Fatal(err)
	}
	mine := `{"auths": {"mine.example.com": {"auth": "bWU6cHc="}}, "detachKeys": "ctrl-x"}`
	if err := os.WriteFile(filepath.Join(docker, "config.json"), []byte(mine), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := mergeRegistryAuths(from, docker); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(docker, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"registry.example.com:5000": {`, `"auth": "ZmxlZXQ6czNjcmV0"`, `"mine.example.com": {`, `"detachKeys": "ctrl-x"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config.json lacks %s:\n%s", want, b)
		}
	}
	fi, err := os.Stat(filepath.Join(docker, "config.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config.json mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	// No credentials configured: nothing changes.
	if err := mergeRegistryAuths(filepath.Join(dir, "none.json"), docker); err != nil {
		t.Fatal(err)
	}
}
