package netif

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestEthernet(t *testing.T) {
	sys := t.TempDir()
	for _, d := range []string{"lo", "eth1/device", "eth0/device", "docker0", "veth1"} {
		if err := os.MkdirAll(filepath.Join(sys, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := Ethernet(sys), []string{"eth0", "eth1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Ethernet = %q, want %q", got, want)
	}
	if got := Ethernet(filepath.Join(sys, "missing")); len(got) != 0 {
		t.Errorf("Ethernet of a missing dir = %q", got)
	}
}
