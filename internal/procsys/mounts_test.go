package procsys

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Moved from installer with the code.
func TestParseMountinfo(t *testing.T) {
	in := `22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/vda2 rw
36 22 0:45 / /mnt/my\040disk rw shared:5 master:1 - btrfs /dev/vdb1 rw,space_cache
37 22 0:5 / /dev rw - devtmpfs devtmpfs rw
`
	got, err := parseMountinfo(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mount{
		{Dev: unix.Mkdev(259, 2), Point: "/", Source: "/dev/vda2"},
		{Dev: unix.Mkdev(0, 45), Point: "/mnt/my disk", Source: "/dev/vdb1"},
		{Dev: unix.Mkdev(0, 5), Point: "/dev", Source: "devtmpfs"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parseMountinfo =\n%v\nwant\n%v", got, want)
	}
	if _, err := parseMountinfo(strings.NewReader("22 1 259:2 / /\n")); err == nil {
		t.Error("parseMountinfo accepted a short line")
	}
}

func TestParseSwaps(t *testing.T) {
	in := "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" +
		"/dev/vda3                               partition\t1048572\t\t0\t\t-2\n" +
		"/swap\\040file                           file\t\t1048572\t\t0\t\t-3\n"
	got, err := parseSwaps(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/dev/vda3", "/swap file"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parseSwaps = %q, want %q", got, want)
	}
}
