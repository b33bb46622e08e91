package artifact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	goversion "github.com/hashicorp/go-version"
)

// New builds the OS image from the files in parts. Files are hashed once
// here and streamed again whenever a layer is read; they must not change
// while the image is in use (a changed file fails with ErrDigestMismatch).
// The same inputs always give the same manifest digest.
func New(parts Parts, version, arch, cmdline string) (v1.Image, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	if arch == "" {
		return nil, errors.New("building image: architecture is empty")
	}
	layers, err := hashParts(parts)
	if err != nil {
		return nil, err
	}
	cfg := newConfig(layers, version, arch, cmdline)
	if cfg.Parts.Rootfs.Uncompressed, err = hashSquashfs(parts.Squashfs); err != nil {
		return nil, err
	}
	if ix := parts.Chunks; ix != nil {
		if err := ix.Check(cfg.Parts.Rootfs.Size, cfg.Parts.Rootfs.Uncompressed.Size); err != nil {
			return nil, fmt.Errorf("building image: the rootfs chunks: %w", err)
		}
		cfg.Parts.Rootfs.Chunks = ix
	}
	img, err := newImage(cfg, layers)
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	return partial.CompressedToImage(img)
}

// checkVersion accepts what go-version's NewSemver accepts.
func checkVersion(version string) error {
	if _, err := goversion.NewSemver(version); err != nil {
		return fmt.Errorf("%w: %q", ErrBadVersion, version)
	}
	return nil
}

// hashParts hashes each part file; the layers reopen the file when read.
func hashParts(parts Parts) ([]*fileLayer, error) {
	layers := make([]*fileLayer, 0, len(layerParts))
	for _, p := range layerParts {
		if p.mediaType == RootfsMediaType && parts.Chunks != nil {
			p = rootfsChunked
		}
		l, err := hashFile(p, p.path(parts))
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
	return layers, nil
}

func hashFile(p part, path string) (*fileLayer, error) {
	if path == "" {
		return nil, fmt.Errorf("hashing %s: no file given", p.name)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hashing %s: %w", p.name, err)
	}
	defer f.Close()
	h, n, err := v1.SHA256(f)
	if err != nil {
		return nil, fmt.Errorf("hashing %s %s: %w", p.name, path, err)
	}
	desc := v1.Descriptor{MediaType: p.mediaType, Digest: h, Size: n}
	return &fileLayer{part: p, path: path, desc: desc}, nil
}

// hashSquashfs records the digest of the uncompressed root filesystem.
func hashSquashfs(path string) (*Blob, error) {
	if path == "" {
		return nil, errors.New("hashing rootfs: no uncompressed squashfs given")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hashing rootfs: %w", err)
	}
	defer f.Close()
	h, n, err := v1.SHA256(f)
	if err != nil {
		return nil, fmt.Errorf("hashing rootfs %s: %w", path, err)
	}
	return &Blob{Digest: h, Size: n}, nil
}

func newConfig(layers []*fileLayer, version, arch, cmdline string) Config {
	cfg := Config{Version: version, Architecture: arch, OS: "linux", Cmdline: cmdline}
	for _, l := range layers {
		*l.part.blob(&cfg.Parts) = Blob{Digest: l.desc.Digest, Size: l.desc.Size}
	}
	return cfg
}

func newImage(cfg Config, layers []*fileLayer) (*image, error) {
	rawCfg, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cfgDesc, err := blobDescriptor(ConfigMediaType, rawCfg)
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        cfgDesc,
		Annotations:   map[string]string{AnnotationVersion: cfg.Version, AnnotationTitle: Title},
	}
	for _, l := range layers {
		m.Layers = append(m.Layers, l.desc)
	}
	rawManifest, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &image{rawConfig: rawCfg, rawManifest: rawManifest, layers: layers}, nil
}

func blobDescriptor(mt types.MediaType, b []byte) (v1.Descriptor, error) {
	h, n, err := v1.SHA256(bytes.NewReader(b))
	return v1.Descriptor{MediaType: mt, Digest: h, Size: n}, err
}

// image is the partial.CompressedImageCore of a freshly built OS image.
type image struct {
	rawConfig, rawManifest []byte
	layers                 []*fileLayer
}

var _ partial.CompressedImageCore = (*image)(nil)

func (i *image) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (i *image) RawConfigFile() ([]byte, error)      { return i.rawConfig, nil }
func (i *image) RawManifest() ([]byte, error)        { return i.rawManifest, nil }

func (i *image) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range i.layers {
		if l.desc.Digest == h {
			return l, nil
		}
	}
	return nil, fmt.Errorf("finding layer %s: not in image", h)
}

// fileLayer is a raw layer streamed from a file. Its DiffID is its Digest.
type fileLayer struct {
	part part
	path string
	desc v1.Descriptor
}

var _ partial.WithDiffID = (*fileLayer)(nil)

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *fileLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

// Compressed streams the file, verified against the digest taken by New.
func (l *fileLayer) Compressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", l.part.name, err)
	}
	return verifying(f, l.desc, l.part.name), nil
}
