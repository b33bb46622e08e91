package rosinit

import (
	"reflect"
	"testing"
)

func TestMountArgv(t *testing.T) {
	tests := []struct {
		entry []string
		want  []string
	}{
		{[]string{"/dev/vdb1", "/data"}, []string{"mount", "/dev/vdb1", "/data"}},
		{[]string{"LABEL=data", "/data", "ext4", "noatime"}, []string{"mount", "-t", "ext4", "-o", "noatime", "LABEL=data", "/data"}},
		{[]string{"/dev/vdb", "/mnt", "auto", "defaults"}, []string{"mount", "/dev/vdb", "/mnt"}},
	}
	for _, tt := range tests {
		if got := mountArgv(tt.entry); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("mountArgv(%q) = %q, want %q", tt.entry, got, tt.want)
		}
	}
}
