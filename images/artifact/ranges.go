package artifact

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Ranger reads byte ranges of one blob.
type Ranger interface {
	// ReadRange streams bytes [off, off+n) of the blob: exactly n bytes, or
	// an error. ErrNoRanges: the source cannot serve parts of the blob.
	ReadRange(off, n int64) (io.ReadCloser, error)
}

// ErrNoRanges: the registry ignores Range (or the source is an archive):
// the blob can only be read whole.
var ErrNoRanges = errors.New("the source does not serve byte ranges")

// BlobRanges reads ranges of the blob digest of the image at ref (see
// Open): HTTP range requests to a registry, with the certificates and
// credentials Open uses; reads of the blob's file in a layout; an archive
// has none (ErrNoRanges).
func BlobRanges(ref string, digest v1.Hash, opts ...Option) (Ranger, error) {
	if rest, ok := strings.CutPrefix(ref, LayoutPrefix); ok {
		dir, _ := splitTag(rest)
		return fileRanger(filepath.Join(dir, "blobs", digest.Algorithm, digest.Hex)), nil
	}
	if strings.HasPrefix(ref, ArchivePrefix) {
		return nil, ErrNoRanges
	}
	o := makeOptions(opts)
	r, err := name.ParseReference(ref, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	repo := r.Context()
	keychains := []authn.Keychain{authn.DefaultKeychain}
	for _, f := range o.authFiles {
		keychains = append(keychains, authFile(f))
	}
	auth, err := authn.NewMultiKeychain(keychains...).Resolve(repo)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", repo, err)
	}
	base := o.transport
	if base == nil {
		base = newCertsTransport(o.certsDir)
	}
	t, err := transport.NewWithContext(o.ctx, repo.Registry, auth, base, []string{repo.Scope(transport.PullScope)})
	if err != nil {
		return nil, registryErr("reaching "+repo.String(), err, repo.RegistryStr())
	}
	url := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", repo.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), digest)
	return &httpRanger{client: &http.Client{Transport: t}, url: url, o: o}, nil
}

type httpRanger struct {
	client *http.Client
	url    string
	o      options
}

func (h *httpRanger) ReadRange(off, n int64) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(h.o.ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching bytes %d-%d of %s: %w", off, off+n-1, h.url, err)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		return exactly(resp.Body, n), nil
	case http.StatusOK: // the whole blob: Range ignored
		resp.Body.Close()
		return nil, ErrNoRanges
	default:
		resp.Body.Close()
		return nil, fmt.Errorf("fetching bytes %d-%d of %s: %s", off, off+n-1, h.url, resp.Status)
	}
}

// fileRanger is a blob in a layout.
type fileRanger string

func (f fileRanger) ReadRange(off, n int64) (io.ReadCloser, error) {
	file, err := os.Open(string(f))
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{exactly(io.NopCloser(io.NewSectionReader(file, off, n)), n), file}, nil
}

// exactly fails a read that ends before n bytes, and stops at n.
func exactly(rc io.ReadCloser, n int64) io.ReadCloser {
	return &exactReader{rc: rc, left: n}
}

type exactReader struct {
	rc   io.ReadCloser
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.rc.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && e.left == 0 {
		err = io.EOF
	}
	return n, err
}

func (e *exactReader) Close() error { return e.rc.Close() }
