package trust

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
)

func newKey(t *testing.T, keyName string) (crypto.Signer, signature.Key) {
	t.Helper()
	privPEM, pubPEM, err := signature.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := signature.ParsePrivateKey(privPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signature.ParsePublicKey(keyName, pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// signatureOf is the signature image of img in repo, by key.
func signatureOf(t *testing.T, key crypto.Signer, repo name.Repository, img v1.Image) v1.Image {
	t.Helper()
	sig, err := signature.Sign(nil, key, repo, digest(t, img))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func push(t *testing.T, img v1.Image, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, ref string) v1.Image {
	t.Helper()
	img, err := artifact.Open(ref, artifact.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestCheckRegistry: the refusals, each one line, against a registry.
func TestCheckRegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	repo, err := name.NewRepository(host+"/ros/os", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	ours, ourKey := newKey(t, "ros.pub")
	theirs, _ := newKey(t, "other.pub")
	policy := Policy{Keys: []signature.Key{ourKey}}

	signed, unsigned, foreign, other := randomImage(t), randomImage(t), randomImage(t), randomImage(t)
	push(t, signed, repo.Name()+":1.0.0")
	push(t, signatureOf(t, ours, repo, signed), signature.Tag(repo, digest(t, signed)).Name())
	push(t, unsigned, repo.Name()+":1.1.0")
	push(t, foreign, repo.Name()+":1.2.0")
	push(t, signatureOf(t, theirs, repo, foreign), signature.Tag(repo, digest(t, foreign)).Name())
	// A signature of another image, pushed where other's would be.
	push(t, other, repo.Name()+":1.3.0")
	push(t, signatureOf(t, ours, repo, signed), signature.Tag(repo, digest(t, other)).Name())

	ref := func(tag string) string { return repo.Name() + ":" + tag }
	if k, err := policy.Check(ref("1.0.0"), open(t, ref("1.0.0")), artifact.WithInsecure()); err != nil || k.Name != "ros.pub" {
		t.Fatalf("a signed image: key %q, %v", k.Name, err)
	}
	for _, c := range []struct {
		tag  string
		want error
		line string
	}{
		{"1.1.0", signature.ErrUnsigned, "sign it"},
		{"1.2.0", signature.ErrUntrusted, "not trusted"},
		{"1.3.0", signature.ErrUntrusted, "another image"},
	} {
		_, err := policy.Check(ref(c.tag), open(t, ref(c.tag)), artifact.WithInsecure())
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.line) || !strings.Contains(err.Error(), ref(c.tag)) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want one line with %q naming the reference (%v)", c.tag, err, c.line, c.want)
		}
	}
	if _, err := (Policy{}).Check(ref("1.0.0"), open(t, ref("1.0.0")), artifact.WithInsecure()); !errors.Is(err, ErrNoKeys) {
		t.Errorf("no keys: got %v, want ErrNoKeys", err)
	}
	var warned string
	skip := Policy{Skip: true, Warn: func(f string, a ...any) { warned = fmt.Sprintf(f, a...) }}
	if _, err := skip.Check(ref("1.1.0"), open(t, ref("1.1.0"))); err != nil || !strings.Contains(warned, SkipFlag) {
		t.Errorf("skipped: %v, warning %q", err, warned)
	}

	// The tag moves to an unsigned image after the signed one was opened:
	// the check and the stream are both of the manifest opened.
	img := open(t, ref("1.0.0"))
	push(t, unsigned, ref("1.0.0"))
	if _, err := policy.Check(ref("1.0.0"), img, artifact.WithInsecure()); err != nil {
		t.Fatalf("the image opened before its tag moved: %v", err)
	}
	if got := firstLayer(t, img); got != firstLayer(t, signed) {
		t.Fatalf("streamed a layer of another image after the tag moved")
	}
	if _, err := policy.Check(ref("1.0.0"), open(t, ref("1.0.0")), artifact.WithInsecure()); !errors.Is(err, signature.ErrUnsigned) {
		t.Fatalf("the image the tag moved to: got %v, want ErrUnsigned", err)
	}
}

// TestCheckLayout: a layout carries its signature beside the image, and
// an untagged reference still finds the one OS image in it.
func TestCheckLayout(t *testing.T) {
	ours, ourKey := newKey(t, "ros.pub")
	dir := filepath.Join(t.TempDir(), "oci")
	img := randomImage(t)
	repo := name.MustParseReference("registry.example/ros/os:1.0.0").Context()
	if err := artifact.WriteLayout(dir, img, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	ref := artifact.LayoutPrefix + dir
	if _, err := (Policy{Keys: []signature.Key{ourKey}}).Check(ref, open(t, ref)); !errors.Is(err, signature.ErrUnsigned) {
		t.Fatalf("an unsigned layout: got %v", err)
	}
	if err := artifact.WriteLayout(dir, signatureOf(t, ours, repo, img), signature.TagName(digest(t, img))); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{ref, ref + ":1.0.0"} {
		if _, err := (Policy{Keys: []signature.Key{ourKey}}).Check(r, open(t, r)); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
}

func firstLayer(t *testing.T, img v1.Image) string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil || len(ls) == 0 {
		t.Fatal(err)
	}
	rc, err := ls[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
