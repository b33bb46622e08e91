package main

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
	"github.com/ros-os/ros/internal/testimage"
)

func mkimage(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// What a developer does: make a key pair, sign the built layout, push it;
// ros trusts the layout and the pushed image with the public key alone,
// and a second key's signature is added beside the first.
func TestKeygenSignPush(t *testing.T) {
	t.Setenv(passwordEnv, "secret")
	dir := t.TempDir()
	oci := filepath.Join(dir, "oci")
	if err := artifact.WriteLayout(oci, testimage.New(t, "1.0.0", "amd64", 64), "1.0.0"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"one", "two"} {
		if out, err := mkimage(t, "keygen", filepath.Join(dir, "keys", k)); err != nil {
			t.Fatalf("keygen: %v\n%s", err, out)
		}
	}
	keys := func(names ...string) trust.Policy {
		var p []string
		for _, n := range names {
			p = append(p, filepath.Join(dir, "keys", n+".pub"))
		}
		ks, err := signature.LoadKeys(p...)
		if err != nil {
			t.Fatal(err)
		}
		return trust.Policy{Keys: ks}
	}
	src := artifact.LayoutPrefix + oci + ":1.0.0"
	check := func(ref string, p trust.Policy, opts ...artifact.Option) error {
		img, err := artifact.Open(ref, opts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Check(ref, img, opts...)
		return err
	}
	if err := check(src, keys("one")); !errors.Is(err, signature.ErrUnsigned) {
		t.Fatalf("before signing: %v", err)
	}
	if out, err := mkimage(t, "sign", "--key", filepath.Join(dir, "keys/one.key"), src); err != nil || !strings.Contains(out, "signed ") {
		t.Fatalf("sign: %v\n%s", err, out)
	}
	if err := check(src, keys("one")); err != nil {
		t.Fatal(err)
	}
	if err := check(src, keys("two")); !errors.Is(err, signature.ErrUntrusted) {
		t.Fatalf("signed by one, trusting two: %v", err)
	}
	for range 2 { // signing again with a key that signed adds nothing
		if _, err := mkimage(t, "sign", "--key", filepath.Join(dir, "keys/two.key"), src); err != nil {
			t.Fatal(err)
		}
	}
	if n := signatures(t, src); n != 2 {
		t.Fatalf("after signing with one key, then twice with another: %d signatures, want 2", n)
	}
	if err := check(src, keys("two")); err != nil {
		t.Fatalf("the second signature: %v", err)
	}
	if err := check(src, keys("one")); err != nil {
		t.Fatalf("the first signature after the second: %v", err)
	}
	// An untagged reference to the layout still finds the one OS image.
	if err := check(artifact.LayoutPrefix+oci, keys("one")); err != nil {
		t.Fatal(err)
	}

	t.Setenv(passwordEnv, "wrong")
	if _, err := mkimage(t, "sign", "--key", filepath.Join(dir, "keys/one.key"), src); err == nil || !strings.Contains(err.Error(), passwordEnv) {
		t.Fatalf("a wrong password: %v", err)
	}

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/ros/os:1.0.0"
	if out, err := mkimage(t, "push", "--insecure", "--from", src, ref); err != nil || !strings.Contains(out, "and its signatures") {
		t.Fatalf("push: %v\n%s", err, out)
	}
	if err := check(ref, keys("one", "two"), artifact.WithInsecure()); err != nil {
		t.Fatalf("the pushed image: %v", err)
	}
}

// signatures counts the signatures beside the image at ref.
func signatures(t *testing.T, ref string) int {
	t.Helper()
	img, err := artifact.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := artifact.OpenBeside(ref, signature.TagName(d))
	if err != nil {
		t.Fatal(err)
	}
	m, err := sig.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return len(m.Layers)
}
