package kmod

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func writeFile(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeKernel records inserted files and fails those in fail.
type fakeKernel struct {
	dir      string
	inserted []string
	fail     map[string]error
}

func (k *fakeKernel) insert(file string) error {
	rel, _ := filepath.Rel(k.dir, file)
	if err, ok := k.fail[Name(rel)]; ok {
		return err
	}
	k.inserted = append(k.inserted, Name(rel))
	return nil
}

func newTestLoader(t *testing.T, fail map[string]error) (*Loader, *fakeKernel, *[]string) {
	t.Helper()
	dir := "testdata/6.1.0-56-amd64"
	k := &fakeKernel{dir: dir, fail: fail}
	var logs []string
	l, err := New(dir, WithInsert(k.insert), WithLogf(func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }))
	if err != nil {
		t.Fatal(err)
	}
	return l, k, &logs
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		modules []string
		fail    map[string]error
		want    []string // inserted, in order
		wantErr []string // modules named in the error
		wantLog int
	}{
		{
			name:    "each module once across names",
			modules: []string{"virtio_pci", "virtio_blk", "ext4", "vfat"},
			want: []string{"virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_ring", "virtio", "virtio_pci",
				"virtio_blk", "crc32c_generic", "jbd2", "mbcache", "crc16", "ext4", "fat", "vfat"},
		},
		{
			name:    "already loaded is success",
			modules: []string{"vfat"},
			fail:    map[string]error{"fat": fmt.Errorf("finit_module: %w", unix.EEXIST)},
			want:    []string{"vfat"},
		},
		{
			name:    "a failed soft dependency is logged, not fatal",
			modules: []string{"libcrc32c"},
			fail:    map[string]error{"crc32c_generic": unix.ENOEXEC},
			want:    []string{"libcrc32c"},
			wantLog: 1,
		},
		{
			name:    "a failed module stops its dependents only",
			modules: []string{"virtio_blk", "squashfs", "nope"},
			fail:    map[string]error{"virtio": unix.ENOEXEC},
			want:    []string{"virtio_ring", "squashfs"},
			wantErr: []string{"virtio_blk", "nope"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, k, logs := newTestLoader(t, tt.fail)
			err := l.Load(tt.modules...)
			if !reflect.DeepEqual(k.inserted, tt.want) {
				t.Errorf("inserted %v, want %v", k.inserted, tt.want)
			}
			if (err != nil) != (len(tt.wantErr) > 0) {
				t.Fatalf("err = %v, want errors for %v", err, tt.wantErr)
			}
			for _, m := range tt.wantErr {
				if !strings.Contains(err.Error(), "loading module "+m) {
					t.Errorf("error %q does not name %s", err, m)
				}
			}
			if len(*logs) != tt.wantLog {
				t.Errorf("logs = %q, want %d lines", *logs, tt.wantLog)
			}
		})
	}
}

func TestLoadRemembers(t *testing.T) {
	l, k, _ := newTestLoader(t, nil)
	for range 2 {
		if err := l.Load("vfat"); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"fat", "vfat"}; !reflect.DeepEqual(k.inserted, want) {
		t.Errorf("inserted %v, want %v", k.inserted, want)
	}
}

func TestLoadRetriesFailures(t *testing.T) {
	l, k, _ := newTestLoader(t, map[string]error{"fat": unix.ENOMEM})
	if err := l.Load("vfat"); !errors.Is(err, unix.ENOMEM) {
		t.Fatalf("err = %v, want ENOMEM", err)
	}
	delete(k.fail, "fat")
	if err := l.Load("vfat"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"fat", "vfat"}; !reflect.DeepEqual(k.inserted, want) {
		t.Errorf("inserted %v, want %v", k.inserted, want)
	}
}

func TestLoaderPath(t *testing.T) {
	l := &Loader{dir: "/usr/lib/modules/6.1"}
	for file, want := range map[string]string{
		"kernel/fs/fat/fat.ko":            "/usr/lib/modules/6.1/kernel/fs/fat/fat.ko",
		"/lib/modules/6.1/kernel/fs/a.ko": "/lib/modules/6.1/kernel/fs/a.ko",
	} {
		if got := l.path(file); got != want {
			t.Errorf("path(%q) = %q, want %q", file, got, want)
		}
	}
}

func TestNewWithoutIndex(t *testing.T) {
	if _, err := New(t.TempDir()); err == nil {
		t.Error("no error without modules.dep")
	}
}

func TestRelease(t *testing.T) {
	r, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	if r == "" || strings.ContainsRune(r, 0) {
		t.Errorf("Release() = %q", r)
	}
}
