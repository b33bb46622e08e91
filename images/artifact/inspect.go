package artifact

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Inspect checks that img is a ros OS image for this machine and returns
// its config. It reads the manifest and config, not the layers: their bytes
// are checked as OpenPart streams them.
func Inspect(img v1.Image, opts ...Option) (Config, error) {
	o := makeOptions(opts)
	m, err := rosManifest(img)
	if err != nil {
		return Config{}, err
	}
	cfg, err := readConfig(img, m.Config)
	if err != nil {
		return Config{}, err
	}
	if err := checkConfig(cfg, m, o.arch); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// rosManifest reads the manifest and checks its media types.
func rosManifest(img v1.Image) (*v1.Manifest, error) {
	mt, err := img.MediaType()
	if err != nil {
		return nil, fmt.Errorf("reading media type: %w", err)
	}
	if mt != types.OCIManifestSchema1 {
		return nil, fmt.Errorf("%w: manifest media type is %q", ErrNotROSImage, mt)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	if err := checkMediaTypes(m); err != nil {
		return nil, err
	}
	return m, nil
}

func checkMediaTypes(m *v1.Manifest) error {
	if m.Config.MediaType != ConfigMediaType {
		return fmt.Errorf("%w: config media type is %q", ErrNotROSImage, m.Config.MediaType)
	}
	if len(m.Layers) != len(layerParts) {
		return fmt.Errorf("%w: %d layers, want %d", ErrNotROSImage, len(m.Layers), len(layerParts))
	}
	for i, p := range layerParts {
		if got := m.Layers[i].MediaType; got != p.mediaType && (p.mediaType != RootfsMediaType || got != RootfsChunkedMediaType) {
			return fmt.Errorf("%w: layer %d is %q, want %s %q", ErrNotROSImage, i, got, p.name, p.mediaType)
		}
	}
	return nil
}

// readConfig reads the config blob, checked against its descriptor.
func readConfig(img v1.Image, desc v1.Descriptor) (Config, error) {
	raw, err := img.RawConfigFile()
	if err != nil {
		return Config{}, fmt.Errorf("reading config: %w", err)
	}
	if err := verifyBytes(raw, desc, "config"); err != nil {
		return Config{}, err
	}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return Config{}, fmt.Errorf("parsing config: %w: %w", ErrNotROSImage, err)
	}
	return cfg, nil
}

// checkConfig checks the config against the manifest and the machine.
func checkConfig(cfg Config, m *v1.Manifest, arch string) error {
	if err := checkVersion(cfg.Version); err != nil {
		return fmt.Errorf("checking config: %w", err)
	}
	for i, p := range layerParts {
		if err := checkBlob(p.name, *p.blob(&cfg.Parts), m.Layers[i]); err != nil {
			return err
		}
	}
	u := cfg.Parts.Rootfs.Uncompressed
	if u == nil || u.Size <= 0 {
		return fmt.Errorf("%w: config does not name the uncompressed rootfs", ErrNotROSImage)
	}
	switch ix := cfg.Parts.Rootfs.Chunks; {
	case (ix != nil) != (m.Layers[2].MediaType == RootfsChunkedMediaType):
		return fmt.Errorf("%w: the rootfs layer is %s but the config has chunks: %v", ErrNotROSImage, m.Layers[2].MediaType, ix != nil)
	case ix != nil:
		if err := ix.Check(cfg.Parts.Rootfs.Size, u.Size); err != nil {
			return fmt.Errorf("checking config: %w", err)
		}
	}
	if cfg.OS != "linux" {
		return fmt.Errorf("%w: os is %q, want linux", ErrNotROSImage, cfg.OS)
	}
	if cfg.Architecture != arch {
		return fmt.Errorf("%w: image is for %s, this machine is %s: use an image built for %s",
			ErrWrongArch, cfg.Architecture, arch, arch)
	}
	return nil
}

func checkBlob(name string, b Blob, layer v1.Descriptor) error {
	if b.Digest != layer.Digest || b.Size != layer.Size {
		return fmt.Errorf("checking config: %w: %s is %s (%d bytes) in config, %s (%d bytes) in manifest",
			ErrDigestMismatch, name, b.Digest, b.Size, layer.Digest, layer.Size)
	}
	return nil
}
