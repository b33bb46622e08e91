package artifact

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Transport prefixes of Open references, as in skopeo.
const (
	LayoutPrefix  = "oci-layout:"
	ArchivePrefix = "oci-archive:"
)

// Open reads the image at ref, which is one of:
//
//	REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST   a registry (authn.DefaultKeychain)
//	oci-layout:DIR[:TAG]                       an OCI image layout directory
//	oci-archive:FILE[:TAG]                     a tar of an OCI image layout, read in place
//
// Without a TAG, a layout or archive must hold exactly one image, not
// counting the signatures beside it. Open does not check the image: call
// Inspect.
func Open(ref string, opts ...Option) (v1.Image, error) {
	o := makeOptions(opts)
	if rest, ok := strings.CutPrefix(ref, LayoutPrefix); ok {
		return openLayout(splitTag(rest))
	}
	if rest, ok := strings.CutPrefix(ref, ArchivePrefix); ok {
		return openArchive(splitTag(rest))
	}
	return openRemote(ref, o)
}

// Push writes img to the registry reference ref.
func Push(img v1.Image, ref string, opts ...Option) error {
	o := makeOptions(opts)
	r, err := name.ParseReference(ref, o.nameOptions()...)
	if err != nil {
		return fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	if err := remote.Write(r, img, o.remoteOptions()...); err != nil {
		return registryErr("pushing "+r.String(), err, r.Context().RegistryStr())
	}
	return nil
}

func openRemote(ref string, o options) (v1.Image, error) {
	r, err := name.ParseReference(ref, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	img, err := remote.Image(r, o.remoteOptions()...)
	if err != nil {
		return nil, registryErr("pulling "+r.String(), err, r.Context().RegistryStr())
	}
	return img, nil
}

// ParseReference parses a registry reference as Open does (plain HTTP
// allowed with WithInsecure).
func ParseReference(ref string, opts ...Option) (name.Reference, error) {
	o := makeOptions(opts)
	r, err := name.ParseReference(ref, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	return r, nil
}

// Tags lists the tags of a registry repository, with the certificates and
// credentials Open uses.
func Tags(repo string, opts ...Option) ([]string, error) {
	o := makeOptions(opts)
	r, err := name.NewRepository(repo, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", repo, err)
	}
	tags, err := remote.List(r, o.remoteOptions()...)
	if err != nil {
		return nil, registryErr("listing the tags of "+repo, err, r.RegistryStr())
	}
	return tags, nil
}

// splitTag splits "PATH[:TAG]". A tag never holds a '/', so "a:b/c" is a path.
func splitTag(s string) (path, tag string) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.ContainsRune(s[i+1:], '/') {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// selectImage picks the image named tag from an index, or the only image
// when tag is empty.
func selectImage(descs []v1.Descriptor, tag string) (v1.Descriptor, error) {
	images := slices.DeleteFunc(slices.Clone(descs), func(d v1.Descriptor) bool {
		return d.MediaType != types.OCIManifestSchema1 && d.MediaType != types.DockerManifestSchema2
	})
	if tag == "" { // the signatures beside an image do not count
		images = slices.DeleteFunc(images, func(d v1.Descriptor) bool { return sideTag(d.Annotations[AnnotationRefName]) })
		if len(images) != 1 {
			return v1.Descriptor{}, fmt.Errorf("%w: layout holds %d images (tags: %s), add :TAG to the reference", ErrTagRequired, len(images), tagList(images))
		}
		return images[0], nil
	}
	for _, d := range images {
		if d.Annotations[AnnotationRefName] == tag {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("%w: no image tagged %q (tags: %s)", ErrTagNotFound, tag, tagList(images))
}

func tagList(descs []v1.Descriptor) string {
	if len(descs) == 0 {
		return "none"
	}
	tags := make([]string, 0, len(descs))
	for _, d := range descs {
		tags = append(tags, refName(d))
	}
	return strings.Join(tags, ", ")
}

// refName is the tag of d, or its digest if it has none.
func refName(d v1.Descriptor) string {
	if t := d.Annotations[AnnotationRefName]; t != "" {
		return t
	}
	return "untagged " + d.Digest.String()
}

// checkDigest guards against a manifest blob that does not match the
// index that names it; ggcr's layout reader does not check this.
func checkDigest(img v1.Image, desc v1.Descriptor) error {
	h, err := img.Digest()
	if err != nil {
		return fmt.Errorf("reading manifest %s: %w", desc.Digest, err)
	}
	if h != desc.Digest {
		return fmt.Errorf("reading manifest: %w: got %s, want %s", ErrDigestMismatch, h, desc.Digest)
	}
	return nil
}

// OpenBeside reads the image tagged tag next to ref: in the same registry
// repository, layout or archive (where cosign keeps an image's signature,
// tagged sha256-HEX.sig). A tag that is not there is ErrTagNotFound.
func OpenBeside(ref, tag string, opts ...Option) (v1.Image, error) {
	if !tagPattern.MatchString(tag) {
		return nil, fmt.Errorf("invalid tag %q", tag)
	}
	for _, prefix := range []string{LayoutPrefix, ArchivePrefix} {
		if rest, ok := strings.CutPrefix(ref, prefix); ok {
			p, _ := splitTag(rest)
			return Open(prefix+p+":"+tag, opts...)
		}
	}
	o := makeOptions(opts)
	r, err := name.ParseReference(ref, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	t := r.Context().Tag(tag)
	img, err := remote.Image(t, o.remoteOptions()...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("pulling %s: %w", t, ErrTagNotFound)
	}
	if err != nil {
		return nil, registryErr("pulling "+t.String(), err, t.RegistryStr())
	}
	return img, nil
}

// WriteBeside writes img tagged tag next to ref, where OpenBeside finds
// it: into ref's layout, or to its registry repository. An archive is
// read-only.
func WriteBeside(ref, tag string, img v1.Image, opts ...Option) error {
	if rest, ok := strings.CutPrefix(ref, LayoutPrefix); ok {
		dir, _ := splitTag(rest)
		return WriteLayout(dir, img, tag)
	}
	if strings.HasPrefix(ref, ArchivePrefix) {
		return fmt.Errorf("%s: an oci-archive is read-only: write beside the layout it is made from", ref)
	}
	if !tagPattern.MatchString(tag) {
		return fmt.Errorf("invalid tag %q", tag)
	}
	o := makeOptions(opts)
	r, err := name.ParseReference(ref, o.nameOptions()...)
	if err != nil {
		return fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	return Push(img, r.Context().Tag(tag).Name(), opts...)
}

// sideTag reports whether tag names an image kept beside another (a
// cosign signature, attestation or SBOM), not an OS image.
func sideTag(tag string) bool {
	return strings.HasPrefix(tag, "sha256-") && (strings.HasSuffix(tag, ".sig") || strings.HasSuffix(tag, ".att") || strings.HasSuffix(tag, ".sbom"))
}
