package kmod

import (
	"errors"
	"reflect"
	"testing"
)

// opt names an optional step in stepNames' output.
func opt(n string) string { return n + "?" }

func stepNames(steps []Step) []string {
	out := []string{}
	for _, s := range steps {
		n := s.Name
		if s.Optional {
			n = opt(n)
		}
		out = append(out, n)
	}
	return out
}

func TestPlanDebian(t *testing.T) {
	ix, err := ReadIndex("testdata/6.1.0-56-amd64")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		module string
		loaded []string
		want   []string
	}{
		{name: "dependency first", module: "virtio_blk", want: []string{"virtio_ring", "virtio", "virtio_blk"}},
		{name: "loaded ones are skipped", module: "virtio_blk", loaded: []string{"virtio_ring"}, want: []string{"virtio", "virtio_blk"}},
		{
			name: "soft pre-dependency through an alias", module: "ext4",
			want: []string{opt("crc32c_generic"), "jbd2", "mbcache", "crc16", "ext4"},
		},
		{
			name: "libcrc32c gets crc32c_generic first", module: "nf_conntrack",
			want: []string{"nf_defrag_ipv4", "nf_defrag_ipv6", opt("crc32c_generic"), "libcrc32c", "nf_conntrack"},
		},
		{
			name: "deep dependencies, each once", module: "sd_mod",
			want: []string{"scsi_common", "scsi_mod", "crct10dif_common", "crc_t10dif", "crc64", "crc64_rocksoft", "t10_pi", "sd_mod"},
		},
		{name: "dash in the name", module: "nls-iso8859-1", want: []string{"nls_iso8859_1"}},
		{name: "alias as a name", module: "fs-vfat", want: []string{"fat", "vfat"}},
		{name: "built in", module: "binfmt_script", want: []string{}},
		{name: "already loaded", module: "squashfs", loaded: []string{"squashfs"}, want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loaded := map[string]bool{}
			for _, l := range tt.loaded {
				loaded[l] = true
			}
			steps, err := ix.Plan(tt.module, loaded)
			if err != nil {
				t.Fatal(err)
			}
			if got := stepNames(steps); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPlanFiles(t *testing.T) {
	ix, err := ReadIndex("testdata/6.1.0-56-amd64")
	if err != nil {
		t.Fatal(err)
	}
	steps, err := ix.Plan("vfat", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{{Name: "fat", File: "kernel/fs/fat/fat.ko"}, {Name: "vfat", File: "kernel/fs/fat/vfat.ko"}}
	if !reflect.DeepEqual(steps, want) {
		t.Errorf("plan = %+v, want %+v", steps, want)
	}
}

func TestPlanSynthetic(t *testing.T) {
	ix := &Index{
		Modules: map[string]Module{
			"a":    {File: "a.ko"},
			"b":    {File: "b.ko"},
			"c":    {File: "c.ko", Deps: []string{"d"}},
			"d":    {File: "d.ko"},
			"e":    {File: "e.ko", Deps: []string{"gone"}},
			"soft": {File: "soft.ko", Deps: []string{"d"}},
		},
		Softdep: map[string]Softdep{
			"a":    {Pre: []string{"b"}, Post: []string{"c"}},
			"b":    {Pre: []string{"a"}}, // a cycle
			"soft": {Pre: []string{"missing", "also-missing"}, Post: []string{"c"}},
		},
	}
	tests := []struct {
		name    string
		module  string
		want    []string
		wantErr error
	}{
		{name: "pre and post, softdep cycle", module: "a", want: []string{opt("b"), "a", opt("d"), opt("c")}},
		{name: "missing soft dependencies are skipped", module: "soft", want: []string{"d", "soft", opt("c")}},
		{name: "unknown module", module: "nope", wantErr: ErrNotFound},
		{name: "unknown hard dependency", module: "e", wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, err := ix.Plan(tt.module, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && !reflect.DeepEqual(stepNames(steps), tt.want) {
				t.Errorf("plan = %v, want %v", stepNames(steps), tt.want)
			}
		})
	}
}
