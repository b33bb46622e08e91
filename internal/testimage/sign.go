package testimage

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
)

// KeyName is the name the test key is reported by.
const KeyName = "testimage.pub"

// testKey signs every image Layout writes and Sign is given.
var testKey = sync.OnceValues(func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })

func key(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Trust is the policy that trusts the test key, and only it.
func Trust(t testing.TB) trust.Policy {
	return trust.Policy{Keys: []signature.Key{{Name: KeyName, Public: key(t).Public()}}}
}

// Sign signs the image at ref (an oci-layout: or a plain-HTTP registry
// reference) with the test key, beside it, as mkimage sign does.
func Sign(t testing.TB, ref string) {
	t.Helper()
	opts := []artifact.Option{artifact.WithInsecure()}
	img, err := artifact.Open(ref, opts...)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository("ros/os") // what a layout's signature names
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref, artifact.LayoutPrefix) {
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		repo = r.Context()
	}
	sig, err := signature.Sign(nil, key(t), repo, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := artifact.WriteBeside(ref, signature.TagName(d), sig, opts...); err != nil {
		t.Fatal(err)
	}
}
