package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
)

// tagPattern is the grammar of a registry tag.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// WriteLayout writes img into the OCI image layout at dir, creating it if
// needed, and names it tag in index.json, replacing any image of that tag.
// Blobs of a replaced image stay in dir.
func WriteLayout(dir string, img v1.Image, tag string) error {
	if !tagPattern.MatchString(tag) {
		return fmt.Errorf("writing layout %s: invalid tag %q", dir, tag)
	}
	p, err := layoutPath(dir)
	if err != nil {
		return fmt.Errorf("writing layout %s: %w", dir, err)
	}
	ann := layout.WithAnnotations(map[string]string{AnnotationRefName: tag})
	if err := p.ReplaceImage(img, match.Name(tag), ann); err != nil {
		return fmt.Errorf("writing layout %s: %w", dir, err)
	}
	return nil
}

// layoutPath opens the layout at dir, or creates an empty one.
func layoutPath(dir string) (layout.Path, error) {
	_, err := os.Stat(filepath.Join(dir, "index.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return layout.Write(dir, empty.Index)
	}
	if err != nil {
		return "", err
	}
	return layout.Path(dir), nil
}

func openLayout(dir, tag string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("opening layout %s: %w", dir, err)
	}
	ii, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("opening layout %s: %w", dir, err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading layout %s: %w", dir, err)
	}
	desc, err := selectImage(im.Manifests, tag)
	if err != nil {
		return nil, fmt.Errorf("opening layout %s: %w", dir, err)
	}
	img, err := ii.Image(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("opening %s in layout %s: %w", refName(desc), dir, err)
	}
	if err := checkDigest(img, desc); err != nil {
		return nil, fmt.Errorf("opening layout %s: %w", dir, err)
	}
	return img, nil
}
