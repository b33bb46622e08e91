package registry

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ros-os/ros/internal/testutil/need"
)

// BlobBytes counts what the registry served of one repository's blobs,
// whole and by range, and nothing of another repository or of manifests.
func TestBlobBytes(t *testing.T) {
	need.Tool(t, "docker-registry")
	reg, err := Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Stop()
	img, err := random.Image(4096, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, repo := range []string{"ros/os", "other"} {
		ref, err := name.ParseReference(reg.Addr+"/"+repo+":1", name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := layers[0].Digest()
	size, _ := layers[0].Size()
	get := func(repo, rng string) {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/v2/%s/blobs/%s", reg.Addr, repo, digest), nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	before, err := reg.BlobBytes("ros/os")
	if err != nil {
		t.Fatal(err)
	}
	get("ros/os", "")
	get("ros/os", "bytes=100-199")
	get("other", "")
	if _, err := http.Get("http://" + reg.Addr + "/v2/ros/os/manifests/1"); err != nil {
		t.Fatal(err)
	}
	after, err := reg.BlobBytes("ros/os")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := after-before, size+100; got != want {
		t.Errorf("served %d bytes of ros/os blobs, want %d (one whole blob of %d and a 100-byte range)", got, want, size)
	}
}
