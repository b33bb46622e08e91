package builder

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ulikunitz/xz"

	"github.com/ros-os/ros/internal/testutil/need"
)

// fakeModule compiles a relocatable ELF whose .modinfo says info (NUL
// separated key=value pairs, as in a real module).
func fakeModule(t *testing.T, info string) []byte {
	t.Helper()
	cc := need.Tool(t, "gcc")
	dir := t.TempDir()
	src := filepath.Join(dir, "m.c")
	c := `__attribute__((section(".modinfo"), used)) static const char info[] = "` + info + `";`
	if err := os.WriteFile(src, []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-c", "-o", filepath.Join(dir, "m.o"), src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "m.o"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeXz(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := xz.NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// A Debian 13 kernel package: modules under usr/lib/modules, compressed
// with xz. The closure follows their .modinfo and the image gets them
// decompressed.
func TestKernelCompressedModules(t *testing.T) {
	root := t.TempDir()
	rel := "6.12.0-1-amd64"
	mods := filepath.Join(root, "usr/lib/modules", rel)
	for _, d := range []string{"kernel/net/a", "kernel/net/b"} {
		if err := os.MkdirAll(filepath.Join(mods, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	top := fakeModule(t, `depends=needed_mod\0softdep=pre: crc32c post: plain`)
	needed := fakeModule(t, `depends=`)
	plain := fakeModule(t, `depends=`)
	writeXz(t, filepath.Join(mods, "kernel/net/a/top-mod.ko.xz"), top)
	writeXz(t, filepath.Join(mods, "kernel/net/b/needed_mod.ko.xz"), needed)
	if err := os.WriteFile(filepath.Join(mods, "kernel/net/b/plain.ko"), plain, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"modules.builtin", "modules.builtin.modinfo", "modules.order"} {
		if err := os.WriteFile(filepath.Join(mods, m), []byte("kernel/lib/builtin.ko\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	k, err := OpenKernel(root)
	if err != nil {
		t.Fatal(err)
	}
	if k.Release != rel {
		t.Errorf("Release = %q", k.Release)
	}
	files, err := k.Closure([]string{"top_mod", "builtin"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"usr/lib/modules/" + rel + "/kernel/net/a/top-mod.ko.xz",
		"usr/lib/modules/" + rel + "/kernel/net/b/needed_mod.ko.xz",
		"usr/lib/modules/" + rel + "/kernel/net/b/plain.ko",
	}
	if !reflect.DeepEqual(files, want) {
		t.Fatalf("Closure = %q, want %q", files, want)
	}
	if _, err := k.Closure([]string{"no_such_mod"}); err == nil {
		t.Error("Closure of a module the kernel lacks: no error")
	}
	tree, err := NewTree(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var depmod []string
	run := func(name string, args ...string) ([]byte, error) {
		depmod = append([]string{name}, args...)
		return nil, nil
	}
	if err := k.Install(tree, files, run); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(tree.Dir, "usr/lib/modules", rel, "kernel/net/a/top-mod.ko"))
	if err != nil || !reflect.DeepEqual(got, top) {
		t.Fatalf("installed top-mod.ko is not the decompressed module: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tree.Dir, "usr/lib/modules", rel, "kernel/net/a/top-mod.ko.xz")); err == nil {
		t.Error("the compressed module was copied too")
	}
	if len(depmod) == 0 || depmod[0] != "depmod" || depmod[len(depmod)-1] != rel {
		t.Errorf("depmod run as %q", depmod)
	}
}
