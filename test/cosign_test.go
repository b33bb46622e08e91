//go:build e2e

package test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
)

// cosignTool is the target suite's cosign, unpacked from its Debian
// package with the image builder's apt configuration (mkimage tool), not
// installed on the host.
func cosignTool(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(repo, "build/tools/cosign")
	if _, err := os.Stat(bin); err != nil {
		run(t, mkimage(t), "tool", "cosign", "usr/bin/cosign", bin)
	}
	return bin
}

// cosignCLI runs the real cosign in a directory of its own, which holds
// the key pair it made (cosign.key, cosign.pub; empty password).
type cosignCLI struct {
	t   testing.TB
	bin string
	dir string
}

// newCosign unpacks cosign if needed and has it make a key pair.
func newCosign(t *testing.T) *cosignCLI {
	t.Helper()
	c := &cosignCLI{t: t, bin: cosignTool(t), dir: t.TempDir()}
	if out, err := c.try("generate-key-pair"); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	return c
}

func (c *cosignCLI) try(args ...string) (string, error) {
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=", "HOME="+c.dir, "SIGSTORE_NO_CACHE=true", "TUF_ROOT="+filepath.Join(c.dir, "tuf"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// pub is the path of cosign's public key.
func (c *cosignCLI) pub() string { return filepath.Join(c.dir, "cosign.pub") }

// sign signs REPO@DIGEST in a plain-HTTP registry with cosign's key, as a
// fleet without ros's tools would.
func (c *cosignCLI) sign(ref string) {
	c.t.Helper()
	if out, err := c.try("sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-http-registry", "--yes", ref); err != nil {
		c.t.Fatalf("cosign sign %s: %v\n%s", ref, err, out)
	}
}

// digestRef is REPO@DIGEST of the image at the plain-HTTP registry reference ref.
func digestRef(t testing.TB, ref string) string {
	t.Helper()
	img, err := artifact.Open(ref, artifact.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref[:strings.LastIndexByte(ref, ':')] + "@" + d.String()
}

// Interop with the real cosign CLI, both ways, through a real registry:
// cosign verifies the image make image signed, with the test key; ros
// trusts an image cosign signed with a key cosign made, and ros install
// installs it. (TestCloudConfig upgrades to one.)
func TestCosignInterop(t *testing.T) {
	v := version(t)
	cosign := newCosign(t)
	reg := startRegistry(t)
	ref := reg.Addr + "/ros/os:" + v
	run(t, mkimage(t), "push", "--insecure", "--from", "oci-layout:build/oci:"+v, ref)

	// 1. cosign verifies what ros signed.
	if out, err := cosign.try("verify", "--key", filepath.Join(repo, testKey+".pub"), "--insecure-ignore-tlog=true",
		"--allow-http-registry", digestRef(t, ref)); err != nil {
		t.Fatalf("cosign verify of the image make image signed: %v\n%s", err, out)
	}
	// ... and refuses it with a key that did not sign it (the check can fail).
	if out, err := cosign.try("verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true",
		"--allow-http-registry", digestRef(t, ref)); err == nil {
		t.Fatalf("cosign verify with a key that did not sign passed:\n%s", out)
	}

	// 2. ros trusts what cosign signed: the same image alone in another
	// repository, signed there by cosign alone.
	pushUnsigned(t, reg, "fleet/os", filepath.Join(repo, "build/oci"), v)
	other := reg.Addr + "/fleet/os:" + v
	keys, err := signature.LoadKeys(cosign.pub())
	if err != nil {
		t.Fatal(err)
	}
	img, err := artifact.Open(other, artifact.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (trust.Policy{Keys: keys}).Check(other, img, artifact.WithInsecure()); !errors.Is(err, signature.ErrUnsigned) {
		t.Fatalf("before cosign signed it: %v, want it unsigned", err)
	}
	disk := filepath.Join(t.TempDir(), "disk.img")
	install := []string{"install", "--device", disk, "--size", "4G", "--insecure", "--image", other, "--trust", cosign.pub()}
	if out, err := exec.Command(filepath.Join(repo, "build/ros"), install...).CombinedOutput(); err == nil || !strings.Contains(string(out), "is not signed") {
		t.Fatalf("ros install of the image before cosign signed it: %v\n%s", err, out)
	}
	if _, err := os.Stat(disk); err == nil {
		t.Fatal("the refused ros install created the disk image")
	}
	cosign.sign(digestRef(t, other))
	if k, err := (trust.Policy{Keys: keys}).Check(other, img, artifact.WithInsecure()); err != nil {
		t.Fatalf("ros does not trust the image cosign signed: %v", err)
	} else if k.Name != cosign.pub() {
		t.Fatalf("trusted by %q", k.Name)
	}
	if out := run(t, filepath.Join(repo, "build/ros"), install...); !strings.Contains(out, "signed by "+cosign.pub()) {
		t.Fatalf("ros install of the image cosign signed said:\n%s", out)
	}
}
