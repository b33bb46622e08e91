// Package signature signs and verifies OS images the way cosign does with a
// key, so that `cosign verify --key` accepts an image ros signed and ros
// accepts one cosign signed: a simple-signing payload that names the
// manifest digest (sigstore's payload package), signed over its SHA-256
// (ECDSA, as cosign's keys are; RSA and Ed25519 keys verify too), kept as a
// layer of a small image tagged sha256-HEX.sig next to the image, the
// signature base64 in the layer's dev.cosignproject.cosign/signature
// annotation. Keys are PEM: public keys PKIX, private keys PKCS#8, plain or
// encrypted the way cosign generate-key-pair writes them.
//
// The package checks signatures; where the signature image comes from (a
// registry, an OCI layout) is the caller's.
package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// The parts of cosign's format.
const (
	PayloadMediaType    types.MediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	SignatureAnnotation                 = "dev.cosignproject.cosign/signature"
	TagSuffix                           = ".sig"
)

// Bounds on what a signature image may make ros read: a payload is a few
// hundred bytes, a signature a few dozen.
const (
	MaxPayload    = 64 << 10
	MaxSignatures = 32
	maxSigB64     = 4 << 10
)

// Errors that say why an image is not trusted.
var (
	ErrUnsigned  = errors.New("the image is not signed")
	ErrUntrusted = errors.New("no signature by a trusted key")
)

// Key is a trusted public key and the name it is reported by (its file).
type Key struct {
	Name   string
	Public crypto.PublicKey
}

// ParsePublicKey reads a PEM public key (cosign.pub).
func ParsePublicKey(keyName string, pemBytes []byte) (Key, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return Key{}, fmt.Errorf("public key %s: %w", keyName, err)
	}
	switch pub.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
	default:
		return Key{}, fmt.Errorf("public key %s: %T keys are not supported", keyName, pub)
	}
	return Key{Name: keyName, Public: pub}, nil
}

// LoadKeys reads the public keys in the files given, and the *.pub files
// of the directories given, in name order.
func LoadKeys(paths ...string) ([]Key, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.pub"))
		if err != nil {
			return nil, err
		}
		sort.Strings(m)
		files = append(files, m...)
	}
	var keys []Key
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		k, err := ParsePublicKey(f, b)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// ParsePrivateKey reads a PEM private key, decrypting it with password if
// it is encrypted (cosign.key: an empty password is cosign's default).
func ParsePrivateKey(pemBytes, password []byte) (crypto.Signer, error) {
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		return nil, fmt.Errorf("reading the private key: %w", err)
	}
	s, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("reading the private key: %T cannot sign", priv)
	}
	return s, nil
}

// GenerateKey makes an ECDSA P-256 key pair, the private key encrypted
// with password the way cosign generate-key-pair does.
func GenerateKey(password []byte) (privPEM, pubPEM []byte, err error) {
	return cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc(password))
}

// Tag is where the signatures of the manifest digest d of repo live:
// REPO:sha256-HEX.sig.
func Tag(repo name.Repository, d v1.Hash) name.Tag {
	return repo.Tag(TagName(d))
}

// TagName is Tag's tag alone: sha256-HEX.sig.
func TagName(d v1.Hash) string {
	return d.Algorithm + "-" + d.Hex + TagSuffix
}

// Payload is the simple-signing payload for the manifest digest d of repo.
func Payload(repo name.Repository, d v1.Hash) ([]byte, error) {
	dig, err := name.NewDigest(repo.Name()+"@"+d.String(), name.WeakValidation)
	if err != nil {
		return nil, err
	}
	return payload.Cosign{Image: dig}.MarshalJSON()
}

// Sign adds a signature by key of the image with manifest digest d in repo
// to sig, the image at Tag(repo, d) (nil or empty.Image if there is none
// yet), and returns the new signature image to push there.
func Sign(sig v1.Image, key crypto.Signer, repo name.Repository, d v1.Hash) (v1.Image, error) {
	p, err := Payload(repo, d)
	if err != nil {
		return nil, err
	}
	raw, err := signBytes(key, p)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", d, err)
	}
	if sig == nil {
		sig = mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1)
	}
	return mutate.Append(sig, mutate.Addendum{
		Layer:       static.NewLayer(p, PayloadMediaType),
		Annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(raw)},
		MediaType:   PayloadMediaType,
	})
}

func signBytes(key crypto.Signer, p []byte) ([]byte, error) {
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		return key.Sign(rand.Reader, p, crypto.Hash(0))
	}
	h := sha256.Sum256(p)
	return key.Sign(rand.Reader, h[:], crypto.SHA256)
}

// Verify checks that sig, the signature image of the manifest digest d,
// holds a signature of d by one of keys, and returns the key. It reads at
// most MaxSignatures payloads of at most MaxPayload bytes, each checked
// against its digest.
func Verify(sig v1.Image, d v1.Hash, keys []Key) (Key, error) {
	if len(keys) == 0 {
		return Key{}, errors.New("no trusted keys")
	}
	m, err := sig.Manifest()
	if err != nil {
		return Key{}, fmt.Errorf("reading the signatures of %s: %w", d, err)
	}
	var why []string
	seen := 0
	for _, l := range m.Layers {
		if l.MediaType != PayloadMediaType {
			continue
		}
		if seen++; seen > MaxSignatures {
			why = append(why, fmt.Sprintf("more than %d signatures: the rest not read", MaxSignatures))
			break
		}
		k, err := verifyLayer(sig, l, d, keys)
		if err == nil {
			return k, nil
		}
		why = append(why, err.Error())
	}
	if seen == 0 {
		return Key{}, fmt.Errorf("%w (its signature image holds no signature)", ErrUnsigned)
	}
	return Key{}, fmt.Errorf("%w: %s", ErrUntrusted, strings.Join(why, "; "))
}

func verifyLayer(sig v1.Image, l v1.Descriptor, d v1.Hash, keys []Key) (Key, error) {
	b64 := l.Annotations[SignatureAnnotation]
	if b64 == "" || len(b64) > maxSigB64 {
		return Key{}, errors.New("a signature layer without a usable signature annotation")
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return Key{}, fmt.Errorf("a signature that is not base64: %w", err)
	}
	if l.Size > MaxPayload {
		return Key{}, fmt.Errorf("a signed payload of %d bytes (at most %d)", l.Size, MaxPayload)
	}
	p, err := readPayload(sig, l)
	if err != nil {
		return Key{}, err
	}
	var c payload.Cosign
	if err := c.UnmarshalJSON(p); err != nil {
		return Key{}, fmt.Errorf("a payload that is not a cosign signature: %w", err)
	}
	if got := c.Image.DigestStr(); got != d.String() {
		return Key{}, fmt.Errorf("a signature of another image (%s)", got)
	}
	for _, k := range keys {
		if verifyBytes(k.Public, p, raw) {
			return k, nil
		}
	}
	return Key{}, errors.New("a signature by a key that is not trusted")
}

// readPayload reads the layer's blob, at most MaxPayload bytes, and checks
// it against the layer's digest.
func readPayload(sig v1.Image, l v1.Descriptor) ([]byte, error) {
	layer, err := sig.LayerByDigest(l.Digest)
	if err != nil {
		return nil, fmt.Errorf("reading a signed payload: %w", err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, fmt.Errorf("reading a signed payload: %w", err)
	}
	defer rc.Close()
	p, err := io.ReadAll(io.LimitReader(rc, MaxPayload+1))
	if err != nil {
		return nil, fmt.Errorf("reading a signed payload: %w", err)
	}
	if len(p) > MaxPayload {
		return nil, fmt.Errorf("a signed payload over %d bytes", MaxPayload)
	}
	if h := sha256.Sum256(p); l.Digest.Algorithm != "sha256" || hex.EncodeToString(h[:]) != l.Digest.Hex {
		return nil, fmt.Errorf("a signed payload that does not match its digest %s", l.Digest)
	}
	return p, nil
}

func verifyBytes(pub crypto.PublicKey, p, raw []byte) bool {
	h := sha256.Sum256(p)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, h[:], raw)
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], raw) == nil
	case ed25519.PublicKey:
		return ed25519.Verify(k, p, raw)
	}
	return false
}
