package configstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testStore is a Store in a temporary directory, with the image's
// service files.
func testStore(t *testing.T, persistent string) Store {
	dir := t.TempDir()
	s := Store{StateFile: filepath.Join(dir, "state/ros/cloud-config.yml"), BootDir: filepath.Join(dir, "config.d"),
		ServicesFile: "../../images/services.yaml", CatalogFile: "../../images/catalog.yaml"}
	if persistent != "" {
		writeTestFile(t, s.StateFile, persistent)
	}
	return s
}

func writeTestFile(t *testing.T, path, data string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The boot's copies of the config drive and command line win over STATE,
// and errors name where the boot copy came from.
func TestConfigStoreEffective(t *testing.T) {
	s := testStore(t, "#cloud-config\nhostname: from-state\nros:\n  console: {autologin: true}\n")
	writeTestFile(t, filepath.Join(s.BootDir, "20-cidata.yml"), "#cloud-config\nhostname: from-drive\n")
	writeTestFile(t, filepath.Join(s.BootDir, "20-cidata.yml.source"), "cidata:/dev/vdb user-data\n")
	cfg, err := s.Effective()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hostname != "from-drive" || !cfg.Ros.Console.Autologin {
		t.Errorf("effective = %+v", cfg)
	}
	writeTestFile(t, filepath.Join(s.BootDir, "20-cidata.yml"), "#cloud-config\nhostnme: x\n")
	if _, err := s.Effective(); err == nil || !strings.Contains(err.Error(), "cidata:/dev/vdb user-data:2: unknown key") {
		t.Errorf("error = %v", err)
	}
}

// save writes nothing when the result would not load, or would enable a
// service the catalog does not have.
func TestConfigStoreSaveRefuses(t *testing.T) {
	const before = "#cloud-config\nhostname: a\n"
	for name, doc := range map[string]string{
		"unknown key":             before + "hostnme: b\n",
		"not in the catalog":      before + "ros:\n  services_include: {nosuch: true}\n",
		"depends on what is none": before + "ros:\n  services:\n    x: {image: busybox, depends_on: [nosuch]}\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := testStore(t, before)
			if err := s.Save([]byte(doc)); err == nil {
				t.Fatal("saved")
			}
			if got, _ := os.ReadFile(s.StateFile); string(got) != before {
				t.Errorf("the document changed to %q", got)
			}
		})
	}
	s := testStore(t, "")
	if err := s.Save([]byte(before + "ros:\n  services_include: {cron: true}\n")); err != nil {
		t.Fatal(err)
	}
	if _, all, _, _, err := s.Services(); err != nil || all["cron"].Image == "" {
		t.Errorf("cron enabled: services %v, %v", all, err)
	}
}
