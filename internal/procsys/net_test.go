package procsys

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestEthernet(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"lo", "eth1/device", "eth0/device", "docker0", "veth1"} {
		if err := os.MkdirAll(filepath.Join(root, "sys/class/net", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := (FS{root}).Ethernet(), []string{"eth0", "eth1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Ethernet = %q, want %q", got, want)
	}
	if got := (FS{filepath.Join(root, "missing")}).Ethernet(); len(got) != 0 {
		t.Errorf("Ethernet of a missing tree = %q", got)
	}
}
