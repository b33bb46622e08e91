package kmod

import (
	"reflect"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/fs/nls/nls_iso8859-1.ko": "nls_iso8859_1",
		"nls-iso8859-1":                  "nls_iso8859_1",
		"kernel/fs/ext4/ext4.ko.xz":      "ext4",
		"kernel/fs/ext4/ext4.ko.zst":     "ext4",
		"/lib/modules/6.1/kernel/x.ko":   "x",
		"virtio_blk":                     "virtio_blk",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDep(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]Module
		wantErr bool
	}{
		{
			name: "deps are names, in file order",
			in: "kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\n" +
				"kernel/block/t10-pi.ko: kernel/lib/crc64-rocksoft.ko kernel/lib/crc64.ko\n" +
				"kernel/fs/fat/fat.ko:\n",
			want: map[string]Module{
				"vfat":   {File: "kernel/fs/fat/vfat.ko", Deps: []string{"fat"}},
				"t10_pi": {File: "kernel/block/t10-pi.ko", Deps: []string{"crc64_rocksoft", "crc64"}},
				"fat":    {File: "kernel/fs/fat/fat.ko"},
			},
		},
		{
			name: "blank lines and comments",
			in:   "\n# comment\nkernel/a.ko:\n\n",
			want: map[string]Module{"a": {File: "kernel/a.ko"}},
		},
		{name: "no colon", in: "kernel/a.ko kernel/b.ko\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDep(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseSoftdep(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]Softdep
		wantErr bool
	}{
		{
			name: "depmod output",
			in:   "# Soft dependencies extracted from modules themselves.\nsoftdep ext4 pre: crypto-crc32c\nsoftdep libcrc32c pre: crc32c\n",
			want: map[string]Softdep{
				"ext4":      {Pre: []string{"crypto-crc32c"}},
				"libcrc32c": {Pre: []string{"crc32c"}},
			},
		},
		{
			name: "pre and post, several names",
			in:   "softdep a-b pre: c d post: e\n",
			want: map[string]Softdep{"a_b": {Pre: []string{"c", "d"}, Post: []string{"e"}}},
		},
		{
			name: "post first, lines add up",
			in:   "softdep a post: e\nsoftdep a pre: c\n",
			want: map[string]Softdep{"a": {Pre: []string{"c"}, Post: []string{"e"}}},
		},
		{
			name: "other commands are ignored",
			in:   "options a x=1\nblacklist b\n",
			want: map[string]Softdep{},
		},
		{name: "name before pre:", in: "softdep a c\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSoftdep(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseBuiltin(t *testing.T) {
	got, err := ParseBuiltin(strings.NewReader("kernel/fs/binfmt_script.ko\nkernel/arch/x86/crypto/libblake2s-x86_64.ko\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"binfmt_script": true, "libblake2s_x86_64": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestParseAlias(t *testing.T) {
	in := "# Aliases extracted from modules themselves.\n" +
		"alias crypto-crc32c crc32c_generic\n" +
		"alias crc32c crc32c-intel\n" +
		"alias crc32c crc32c_generic\n" +
		"alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n" +
		"alias devname:net/tun tun\n"
	got, err := ParseAlias(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"crypto-crc32c":   {"crc32c_generic"},
		"crc32c":          {"crc32c_intel", "crc32c_generic"},
		"devname:net/tun": {"tun"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestReadIndex(t *testing.T) {
	t.Run("debian 6.1", func(t *testing.T) {
		ix, err := ReadIndex("testdata/6.1.0-56-amd64")
		if err != nil {
			t.Fatal(err)
		}
		if m := ix.Modules["ext4"]; m.File != "kernel/fs/ext4/ext4.ko" {
			t.Errorf("ext4 = %+v", m)
		}
		if got := ix.Softdep["libcrc32c"].Pre; !reflect.DeepEqual(got, []string{"crc32c"}) {
			t.Errorf("libcrc32c pre = %v", got)
		}
		if !ix.Builtin["nls_base"] || !reflect.DeepEqual(ix.Alias["crc32c"], []string{"crc32c_generic"}) {
			t.Errorf("builtin nls_base %v, alias crc32c %v", ix.Builtin["nls_base"], ix.Alias["crc32c"])
		}
	})
	t.Run("only modules.dep", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "modules.dep", "kernel/a.ko:\n")
		ix, err := ReadIndex(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(ix.Modules) != 1 || len(ix.Softdep)+len(ix.Builtin)+len(ix.Alias) != 0 {
			t.Errorf("index = %+v", ix)
		}
	})
	t.Run("no modules.dep", func(t *testing.T) {
		if _, err := ReadIndex(t.TempDir()); err == nil {
			t.Error("no error")
		}
	})
}
