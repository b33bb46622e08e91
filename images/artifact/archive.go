package artifact

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// An oci-archive is read in place, not extracted: Open scans the tar headers
// once and remembers where each blob's bytes sit in the file, and every
// blob read opens the file and reads that section. ggcr has no reader for
// tarred OCI layouts (its tarball package reads docker-save tars), so the
// image core below is ours; partial.CompressedToImage does the rest.

// archive is the table of contents of a tarred OCI layout.
type archive struct {
	file    string
	entries map[string]section
}

// section is where a regular file's bytes sit in the tar.
type section struct{ offset, size int64 }

func openArchive(file, tag string) (v1.Image, error) {
	a, err := scanArchive(file)
	if err != nil {
		return nil, fmt.Errorf("opening archive %s: %w", file, err)
	}
	img, err := a.image(tag)
	if err != nil {
		return nil, fmt.Errorf("opening archive %s: %w", file, err)
	}
	return img, nil
}

// scanArchive lists the regular files of the tar and their offsets.
func scanArchive(file string) (*archive, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a := &archive{file: file, entries: map[string]section{}}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return a, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar: %w", err)
		}
		if err := a.add(h, f); err != nil {
			return nil, fmt.Errorf("reading tar entry %s: %w", h.Name, err)
		}
	}
}

// add records the entry whose header tar.Reader has just read from f.
func (a *archive) add(h *tar.Header, f io.Seeker) error {
	switch {
	case h.Typeflag == tar.TypeLink:
		a.entries[entryName(h.Name)] = a.entries[entryName(h.Linkname)]
	case h.Typeflag != tar.TypeReg:
	case isSparse(h):
		return errors.New("sparse files are not supported")
	default:
		// tar.Reader reads no further than the header, so the file offset
		// is the start of the entry's bytes.
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		a.entries[entryName(h.Name)] = section{off, h.Size}
	}
	return nil
}

func entryName(name string) string { return path.Clean(strings.TrimPrefix(name, "/")) }

// isSparse tells PAX sparse files, whose bytes are not stored in one piece.
func isSparse(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// open streams the tar entry called name.
func (a *archive) open(name string) (io.ReadCloser, error) {
	s, ok := a.entries[name]
	if !ok {
		return nil, fmt.Errorf("opening %s: %w", name, os.ErrNotExist)
	}
	f, err := os.Open(a.file)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, s.offset, s.size), f}, nil
}

// blob streams a blob unverified, as ggcr's layout reader does: OpenPart
// verifies layers, and bytes verifies the manifest and config.
func (a *archive) blob(desc v1.Descriptor) (io.ReadCloser, error) {
	return a.open(path.Join("blobs", desc.Digest.Algorithm, desc.Digest.Hex))
}

// bytes reads a whole small blob, verified against desc.
func (a *archive) bytes(desc v1.Descriptor) ([]byte, error) {
	rc, err := a.blob(desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(verifying(rc, desc, desc.Digest.String()))
}

func (a *archive) index() (*v1.IndexManifest, error) {
	rc, err := a.open("index.json")
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return v1.ParseIndexManifest(rc)
}

func (a *archive) image(tag string) (v1.Image, error) {
	im, err := a.index()
	if err != nil {
		return nil, fmt.Errorf("reading index.json: %w", err)
	}
	desc, err := selectImage(im.Manifests, tag)
	if err != nil {
		return nil, err
	}
	raw, err := a.bytes(desc)
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", refName(desc), err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", refName(desc), err)
	}
	return partial.CompressedToImage(&archiveImage{a: a, desc: desc, raw: raw, m: m})
}

// archiveImage is the partial.CompressedImageCore of an image in an archive.
type archiveImage struct {
	a    *archive
	desc v1.Descriptor
	raw  []byte
	m    *v1.Manifest
}

func (i *archiveImage) MediaType() (types.MediaType, error) { return i.desc.MediaType, nil }
func (i *archiveImage) RawManifest() ([]byte, error)        { return i.raw, nil }
func (i *archiveImage) RawConfigFile() ([]byte, error)      { return i.a.bytes(i.m.Config) }

func (i *archiveImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, d := range append([]v1.Descriptor{i.m.Config}, i.m.Layers...) {
		if d.Digest == h {
			return &archiveLayer{a: i.a, desc: d}, nil
		}
	}
	return nil, fmt.Errorf("finding layer %s: not in image", h)
}

// archiveLayer is a raw blob in an archive. Its DiffID is its Digest.
type archiveLayer struct {
	a    *archive
	desc v1.Descriptor
}

func (l *archiveLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *archiveLayer) DiffID() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *archiveLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *archiveLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *archiveLayer) Compressed() (io.ReadCloser, error)  { return l.a.blob(l.desc) }
