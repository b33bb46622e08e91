package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ros-os/ros/images/signature"
)

// The keys given are in the root filesystem's TrustDir, as NAME.pub; a
// file that is not a public key, a missing one or two of one name stop
// the build with one line.
func TestAddTrust(t *testing.T) {
	dir := t.TempDir()
	_, pub, err := signature.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, other := write("ros.pub", pub), write("keys/release", pub)
	tree := newTree(t)
	if err := (&builder{o: Options{Trust: []string{good, other}}}).addTrust(tree); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ros.pub", "release.pub"} {
		b, err := os.ReadFile(filepath.Join(tree.Dir, TrustDir, name))
		if err != nil || string(b) != string(pub) {
			t.Errorf("%s in the root filesystem: %v", name, err)
		}
	}
	for _, c := range []struct {
		name  string
		trust []string
		want  string
	}{
		{"not a key", []string{write("notakey.pub", []byte("hello"))}, "give --trust a public key"},
		{"a private key", []string{write("cosign.key", mustPriv(t))}, "give --trust a public key"},
		{"missing", []string{filepath.Join(dir, "nope.pub")}, "reading a trusted key"},
		{"two of one name", []string{good, write("again/ros.pub", pub)}, "two trusted keys are named ros.pub"},
	} {
		err := (&builder{o: Options{Trust: c.trust}}).addTrust(newTree(t))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want one line with %q", c.name, err, c.want)
		}
	}
}

func mustPriv(t *testing.T) []byte {
	t.Helper()
	priv, _, err := signature.GenerateKey([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func newTree(t *testing.T) *Tree {
	t.Helper()
	tree, err := NewTree(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return tree
}
