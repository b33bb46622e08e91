//go:build e2e

package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
	"github.com/ros-os/ros/internal/registry"
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

// Interop with the real cosign CLI, both ways, through a real registry:
// cosign verifies the image make image signed, with the test key; ros
// trusts an image cosign signed with a key cosign made.
func TestCosignInterop(t *testing.T) {
	v := version(t)
	cosign := cosignTool(t)
	reg, err := registry.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Stop()
	ref := reg.Addr + "/ros/os:" + v
	run(t, mkimage(t), "push", "--insecure", "--from", "oci-layout:build/oci:"+v, ref)
	img, err := artifact.Open(ref, artifact.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	env := append(os.Environ(), "COSIGN_PASSWORD=", "HOME="+dir, "SIGSTORE_NO_CACHE=true", "TUF_ROOT="+filepath.Join(dir, "tuf"))
	cosignRun := func(args ...string) (string, error) {
		cmd := exec.Command(cosign, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// 1. cosign verifies what ros signed.
	if out, err := cosignRun("verify", "--key", filepath.Join(repo, testKey+".pub"), "--insecure-ignore-tlog=true",
		"--allow-http-registry", reg.Addr+"/ros/os@"+d.String()); err != nil {
		t.Fatalf("cosign verify of the image make image signed: %v\n%s", err, out)
	}
	// ... and refuses it with a key that did not sign it (the check can fail).
	if out, err := cosignRun("generate-key-pair"); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	if out, err := cosignRun("verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true",
		"--allow-http-registry", reg.Addr+"/ros/os@"+d.String()); err == nil {
		t.Fatalf("cosign verify with a key that did not sign passed:\n%s", out)
	}

	// 2. ros trusts what cosign signed: the same image in another
	// repository, signed there by cosign alone.
	other := reg.Addr + "/fleet/os:" + v
	run(t, mkimage(t), "push", "--insecure", "--from", "oci-layout:build/oci:"+v, other)
	keys, err := signature.LoadKeys(filepath.Join(dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	img2, err := artifact.Open(other, artifact.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (trust.Policy{Keys: keys}).Check(other, img2, artifact.WithInsecure()); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("before cosign signed it: %v", err)
	}
	if out, err := cosignRun("sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-http-registry", "--yes",
		reg.Addr+"/fleet/os@"+d.String()); err != nil {
		t.Fatalf("cosign sign: %v\n%s", err, out)
	}
	img2, err = artifact.Open(other, artifact.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	if k, err := (trust.Policy{Keys: keys}).Check(other, img2, artifact.WithInsecure()); err != nil {
		t.Fatalf("ros does not trust the image cosign signed: %v", err)
	} else if !strings.HasSuffix(k.Name, "cosign.pub") {
		t.Fatalf("trusted by %q", k.Name)
	}
}
