package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

var (
	repo = name.MustParseReference("registry.example/ros/os:1.0.0").Context()
	dig  = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	dig2 = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("cd", 32)}
)

func newKey(t *testing.T, name string) (crypto.Signer, Key) {
	t.Helper()
	privPEM, pubPEM, err := GenerateKey([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(name, pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func sign(t *testing.T, sig v1.Image, key crypto.Signer, d v1.Hash) v1.Image {
	t.Helper()
	s, err := Sign(sig, key, repo, d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignVerify(t *testing.T) {
	k1, pub1 := newKey(t, "one.pub")
	k2, pub2 := newKey(t, "two.pub")
	_, pub3 := newKey(t, "three.pub")
	both := sign(t, sign(t, nil, k1, dig), k2, dig)
	tests := []struct {
		name    string
		sig     v1.Image
		d       v1.Hash
		keys    []Key
		want    string // the key that verifies, "" for an error
		wantErr error
		errHas  string
	}{
		{"signed by the trusted key", sign(t, nil, k1, dig), dig, []Key{pub1}, "one.pub", nil, ""},
		{"the second of two signatures is trusted", both, dig, []Key{pub3, pub2}, "two.pub", nil, ""},
		{"signed by an untrusted key", sign(t, nil, k1, dig), dig, []Key{pub2, pub3}, "", ErrUntrusted, "not trusted"},
		{"a signature of another digest", sign(t, nil, k1, dig2), dig, []Key{pub1}, "", ErrUntrusted, "another image (sha256:cdcd"},
		{"no signature at all", mutate.MediaType(empty.Image, "application/vnd.oci.image.manifest.v1+json"), dig, []Key{pub1}, "", ErrUnsigned, ""},
		{"no trusted keys", sign(t, nil, k1, dig), dig, nil, "", nil, "no trusted keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Verify(tt.sig, tt.d, tt.keys)
			if tt.want != "" {
				if err != nil || k.Name != tt.want {
					t.Fatalf("Verify = %q, %v; want %q", k.Name, err, tt.want)
				}
				return
			}
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("Verify = %q, %v; want an error (%v) containing %q", k.Name, err, tt.wantErr, tt.errHas)
			}
		})
	}
}

// Signature images made to hurt: each is refused with a reason, never
// accepted, and nothing big is read.
func TestVerifyRefusesMalformed(t *testing.T) {
	k, pub := newKey(t, "k.pub")
	good := sign(t, nil, k, dig)
	m, err := good.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	goodSig := m.Layers[0].Annotations[SignatureAnnotation]
	p, err := Payload(repo, dig)
	if err != nil {
		t.Fatal(err)
	}
	withLayer := func(body []byte, ann map[string]string) v1.Image {
		img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: static.NewLayer(body, PayloadMediaType), Annotations: ann, MediaType: PayloadMediaType})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	huge := append([]byte(strings.Repeat(" ", MaxPayload)), p...)
	tests := []struct {
		name, errHas string
		sig          v1.Image
	}{
		{"no signature annotation", "without a usable signature", withLayer(p, nil)},
		{"a signature that is not base64", "not base64", withLayer(p, map[string]string{SignatureAnnotation: "!!!"})},
		{"a huge annotation", "without a usable signature", withLayer(p, map[string]string{SignatureAnnotation: strings.Repeat("A", 1<<20)})},
		{"a huge payload", "bytes (at most", withLayer(huge, map[string]string{SignatureAnnotation: goodSig})},
		{"a payload that is not JSON", "not a cosign signature", withLayer([]byte("{"), map[string]string{SignatureAnnotation: goodSig})},
		{"the good signature over a changed payload", "not trusted",
			withLayer([]byte(strings.Replace(string(p), "registry.example", "registry.evil", 1)), map[string]string{SignatureAnnotation: goodSig})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(tt.sig, dig, []Key{pub})
			if !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("Verify: %v; want ErrUntrusted containing %q", err, tt.errHas)
			}
		})
	}
}

// The key types cosign signs with: ECDSA (its own keys), RSA, Ed25519.
func TestKeyTypes(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, priv := range []crypto.Signer{ec, rs, ed} {
		pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ParsePublicKey("k.pub", pubPEM)
		if err != nil {
			t.Fatalf("%T: %v", priv, err)
		}
		if _, err := Verify(sign(t, nil, priv, dig), dig, []Key{pub}); err != nil {
			t.Errorf("%T: %v", priv, err)
		}
	}
}

func TestParsePrivateKeyWrongPassword(t *testing.T) {
	privPEM, _, err := GenerateKey([]byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey(privPEM, []byte("wrong")); err == nil {
		t.Fatal("an encrypted key opened with the wrong password")
	}
}

func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.pub", "a.pub"} {
		_, pub, err := GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), pub, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("not a key"), 0o644); err != nil {
		t.Fatal(err)
	}
	keys, err := LoadKeys(dir)
	if err != nil || len(keys) != 2 || filepath.Base(keys[0].Name) != "a.pub" {
		t.Fatalf("LoadKeys = %v, %v; want a.pub, b.pub", keys, err)
	}
	bad := filepath.Join(dir, "bad.pub")
	if err := os.WriteFile(bad, []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(dir); err == nil || !strings.Contains(err.Error(), "bad.pub") {
		t.Fatalf("a broken key file: %v, want an error naming it", err)
	}
}

// The signature image survives a registry: pushed to REPO:sha256-HEX.sig
// and pulled back, it verifies.
func TestThroughARegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	r, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://")+"/ros/os", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	k, pub := newKey(t, "k.pub")
	p, err := Payload(r, dig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(p), `"docker-reference":"`+r.Name()+`"`) || !strings.Contains(string(p), `"docker-manifest-digest":"`+dig.String()+`"`) {
		t.Fatalf("payload %s", p)
	}
	sig, err := Sign(nil, k, r, dig)
	if err != nil {
		t.Fatal(err)
	}
	tag := Tag(r, dig)
	if tag.TagStr() != "sha256-"+dig.Hex+".sig" {
		t.Fatalf("tag %s", tag)
	}
	if err := remote.Write(tag, sig); err != nil {
		t.Fatal(err)
	}
	back, err := remote.Image(tag)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(back, dig, []Key{pub}); err != nil {
		t.Fatal(err)
	}
}
