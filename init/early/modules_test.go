package early

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseModuleList(t *testing.T) {
	in := "# disks\nvirtio_pci\nvirtio_blk  \n\n  squashfs # the slot\nnls_iso8859-1\n"
	got, err := parseModuleList(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"virtio_pci", "virtio_blk", "squashfs", "nls_iso8859-1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
