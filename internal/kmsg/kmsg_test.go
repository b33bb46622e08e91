package kmsg

import (
	"bytes"
	"strings"
	"testing"
)

func TestLogger(t *testing.T) {
	var console, kmsg bytes.Buffer
	l := &Logger{console: &console, kmsg: &kmsg, prefix: "ros-initramfs: "}
	l.Printf("root slot %s is %s", "PARTLABEL=ros-root-a", "/dev/vda2")
	if want := "ros-initramfs: root slot PARTLABEL=ros-root-a is /dev/vda2\n"; console.String() != want {
		t.Errorf("console = %q, want %q", console.String(), want)
	}
	if want := "<7>ros-initramfs: root slot PARTLABEL=ros-root-a is /dev/vda2\n"; kmsg.String() != want {
		t.Errorf("kmsg = %q, want %q", kmsg.String(), want)
	}
}

func TestBanner(t *testing.T) {
	var console, kmsg bytes.Buffer
	l := &Logger{console: &console, kmsg: &kmsg, prefix: "ros-initramfs: "}
	l.Banner("ros: BOOT FAILED", "finding the root slot: no device\nsecond line")
	out := console.String()
	for _, want := range []string{"#  ros: BOOT FAILED\n", "#  finding the root slot: no device\n", "#  second line\n", strings.Repeat("#", 72)} {
		if !strings.Contains(out, want) {
			t.Errorf("banner %q lacks %q", out, want)
		}
	}
	if strings.Count(kmsg.String(), "<7>") != 1 {
		t.Errorf("kmsg got %q, want one record", kmsg.String())
	}
}
