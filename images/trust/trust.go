// Package trust decides whether an OS image may be written to a slot: the
// manifest ros is about to stream must carry a signature, kept beside the
// image the way cosign keeps it, by one of the keys the machine trusts.
package trust

import (
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/internal/contract"
)

// Dir is where an installed ros keeps the public keys it trusts for its
// own upgrades (*.pub, PEM), in the root filesystem.
const Dir = contract.TrustDir

// SkipFlag is the command-line flag that turns the check off.
const SkipFlag = "--insecure-skip-signature"

// ErrNoKeys: nothing is trusted, so nothing can be checked.
var ErrNoKeys = errors.New("no trusted keys")

// Policy is what an install or an upgrade trusts.
type Policy struct {
	Keys []signature.Key
	Skip bool                          // SkipFlag: take any image, with a warning
	Warn func(format string, a ...any) // where the warning goes
}

// Check verifies that img, opened from ref, is the manifest a trusted key
// signed: the signature is looked up by img's own digest, so what is
// checked is what is then streamed, even if ref's tag moves meanwhile. It
// returns the key that signed it (the zero Key when skipped).
func (p Policy) Check(ref string, img v1.Image, opts ...artifact.Option) (signature.Key, error) {
	if p.Skip {
		if p.Warn != nil {
			p.Warn("warning: %s: not checking the signature of %s", SkipFlag, ref)
		}
		return signature.Key{}, nil
	}
	if len(p.Keys) == 0 {
		return signature.Key{}, fmt.Errorf("%w to check %s against: add a public key to %s (or ros.upgrade.trust) or pass %s", ErrNoKeys, ref, Dir, SkipFlag)
	}
	d, err := img.Digest()
	if err != nil {
		return signature.Key{}, fmt.Errorf("checking the signature of %s: %w", ref, err)
	}
	tag := signature.TagName(d)
	sig, err := artifact.OpenBeside(ref, tag, opts...)
	if errors.Is(err, artifact.ErrTagNotFound) {
		return signature.Key{}, fmt.Errorf("%s (%s) %w: no %s beside it; sign it (mkimage sign, cosign sign --key) or pass %s",
			ref, d, signature.ErrUnsigned, tag, SkipFlag)
	}
	if err != nil {
		return signature.Key{}, fmt.Errorf("reading the signature of %s: %w", ref, err)
	}
	k, err := signature.Verify(sig, d, p.Keys)
	if err != nil {
		return signature.Key{}, fmt.Errorf("refusing %s (%s), trusted keys %s: %w", ref, d, names(p.Keys), err)
	}
	return k, nil
}

func names(keys []signature.Key) string {
	n := make([]string, len(keys))
	for i, k := range keys {
		n[i] = k.Name
	}
	return strings.Join(n, ", ")
}
