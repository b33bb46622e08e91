//go:build e2e

package test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
	"github.com/ros-os/ros/internal/registry"
)

// mkimage builds the image tool once per test binary.
func mkimage(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(repo, "build", "mkimage")
	cmd := exec.Command("go", "build", "-o", bin, "./images/mkimage")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building mkimage: %v\n%s", err, out)
	}
	return bin
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func layoutDigest(t testing.TB, dir, tag string) v1.Hash {
	t.Helper()
	img, err := artifact.Open("oci-layout:" + dir + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The image pushes to a real registry (Debian's docker-registry) and reads
// back with standard tools.
func TestPushToRegistry(t *testing.T) {
	v := version(t)
	reg, err := registry.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Stop()
	ref := reg.Addr + "/ros/os:" + v
	out := run(t, mkimage(t), "push", "--insecure", "--from", "oci-layout:build/oci:"+v, ref)
	if !strings.Contains(out, "pushed "+ref) {
		t.Fatalf("push said %q", out)
	}
	raw, err := crane.Manifest(ref, crane.Insecure)
	if err != nil {
		t.Fatalf("crane manifest %s: %v", ref, err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != artifact.ConfigMediaType || len(m.Layers) != 3 ||
		m.Layers[2].MediaType != artifact.RootfsChunkedMediaType || m.Annotations[artifact.AnnotationVersion] != v {
		t.Fatalf("manifest in the registry is not the ros image:\n%s", raw)
	}
	img, err := artifact.Open(ref, artifact.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := artifact.Inspect(img)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != v || cfg.Parts.Rootfs.Uncompressed == nil {
		t.Fatalf("config from the registry: %+v", cfg)
	}
	// make image signed it, and the signature went along.
	keys, err := signature.LoadKeys(filepath.Join(repo, testKey+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (trust.Policy{Keys: keys}).Check(ref, img, artifact.WithInsecure()); err != nil {
		t.Fatalf("the pushed image: %v", err)
	}
}

// testKey is the throwaway key make image signs with when given no KEY
// (and the OS it builds trusts): PREFIX.key and PREFIX.pub, relative to
// the repository.
const testKey = "build/keys/test"
