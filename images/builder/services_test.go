package builder

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/ros-os/ros/internal/contract"
)

// Service images are one OCI layout, each image named ros/NAME:VERSION,
// with the service's command; the base layer they share is stored once,
// and the same inputs give the same bytes.
func TestWriteServiceImages(t *testing.T) {
	specs := []ServiceSpec{{Name: "syslog", Cmd: []string{"syslogd", "-n"}}, {Name: "ntp", Cmd: []string{"ntpd", "-n"}}}
	busybox := []byte("#!not really busybox")
	applets := []string{"bin/sh", "usr/sbin/ntpd", "sbin/syslogd"}
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := WriteServiceImages(dir, specs, busybox, applets, "1.2.3", "amd64"); err != nil {
			t.Fatal(err)
		}
	}
	blobs, _ := filepath.Glob(filepath.Join(a, "blobs/sha256/*"))
	// one layer, two configs, two manifests
	if len(blobs) != 5 {
		t.Errorf("%d blobs, want 5: the shared layer once", len(blobs))
	}
	for _, f := range append(blobs, filepath.Join(a, "index.json")) {
		rel, _ := filepath.Rel(a, f)
		da, _ := os.ReadFile(f)
		db, _ := os.ReadFile(filepath.Join(b, rel))
		if len(da) == 0 || !bytes.Equal(da, db) {
			t.Fatalf("%s: empty or not reproducible", rel)
		}
	}
	idx, err := layout.ImageIndexFromPath(a)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != len(specs) {
		t.Fatalf("%d images, want %d", len(m.Manifests), len(specs))
	}
	for i, s := range specs {
		d := m.Manifests[i]
		if got, want := d.Annotations[contract.ImageRefName], "ros/"+s.Name+":1.2.3"; got != want {
			t.Errorf("image %d is named %q, want %q", i, got, want)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Architecture != "amd64" || cf.Config.Cmd[0] != s.Cmd[0] {
			t.Fatalf("%s: arch %q cmd %v", s.Name, cf.Architecture, cf.Config.Cmd)
		}
	}
}
