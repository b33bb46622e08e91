package services

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestDefaultServices checks the services shipped in the image.
func TestDefaultServices(t *testing.T) {
	const path = "../../images/services.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(f); err != nil {
		t.Fatal(err)
	}
	levels, err := Order(f)
	if err != nil {
		t.Fatal(err)
	}
	level := map[string]int{}
	for i, l := range levels {
		for _, n := range l {
			level[n] = i
		}
	}
	for _, n := range []string{"syslog", "network", "ntp", "docker", "console"} {
		if _, ok := f[n]; !ok {
			t.Errorf("service %q is missing", n)
		}
	}
	// The start order as data: the network and syslog first; then User
	// Docker and ntp (the network's), the console (syslog's). Starting User
	// Docker with the first level was measured slower (docs/benchmarks.md).
	want := [][]string{{"network", "syslog"}, {"console", "docker", "ntp"}}
	if !reflect.DeepEqual(levels, want) {
		t.Errorf("start levels %q, want %q", levels, want)
	}
	for _, n := range f.Names() {
		if want := "ros/" + n + ":${ROS_VERSION}"; f[n].Image != want {
			t.Errorf("service %q: image %q, want %q", n, f[n].Image, want)
		}
		for _, v := range f[n].Volumes {
			if strings.HasPrefix(v, "/usr:") && !strings.HasSuffix(v, ":ro") {
				t.Errorf("service %q: volume %q: the host /usr must be mounted read-only", n, v)
			}
		}
	}
}
