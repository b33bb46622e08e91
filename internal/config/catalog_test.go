package config

import (
	"os"
	"strings"
	"testing"

	"github.com/ros-os/ros/internal/services"
)

// TestShippedCatalog enables every service of the image's catalog on top of
// the built-in services: each resolves, and its image is one the image
// builds (a ros/NAME service image listed in os.yaml).
func TestShippedCatalog(t *testing.T) {
	read := func(path string) services.File {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := services.Parse(path, data)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	builtin, catalog := read("../../images/services.yaml"), read("../../images/catalog.yaml")
	if len(catalog) == 0 {
		t.Fatal("the catalog is empty")
	}
	osYAML, err := os.ReadFile("../../images/os.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	c.Ros.ServicesInclude = map[string]bool{}
	for name, s := range catalog {
		c.Ros.ServicesInclude[name] = true
		if s.Image != "ros/"+name+":${ROS_VERSION}" || !strings.Contains(string(osYAML), "  - name: "+name+" ") {
			t.Errorf("catalog service %s: image %q is not a service image built by os.yaml", name, s.Image)
		}
	}
	all, err := c.Services(builtin, catalog)
	if err != nil {
		t.Fatal(err)
	}
	for name := range catalog {
		if _, ok := all[name]; !ok {
			t.Errorf("enabled catalog service %s is not run", name)
		}
	}
}
