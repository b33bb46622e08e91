package builder

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Service images are docker-load archives, tagged ros/NAME:VERSION, with the
// service's command, and the same inputs give the same bytes.
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
	for _, s := range specs {
		da, _ := os.ReadFile(filepath.Join(a, s.Name+".tar"))
		db, _ := os.ReadFile(filepath.Join(b, s.Name+".tar"))
		if len(da) == 0 || !bytes.Equal(da, db) {
			t.Fatalf("%s.tar: empty or not reproducible", s.Name)
		}
		tag, _ := name.NewTag("ros/" + s.Name + ":1.2.3")
		img, err := tarball.ImageFromPath(filepath.Join(a, s.Name+".tar"), &tag)
		if err != nil {
			t.Fatalf("%s.tar has no image %s: %v", s.Name, tag, err)
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
