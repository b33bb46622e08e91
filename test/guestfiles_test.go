//go:build e2e

package test

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// serveGuestFiles serves the guest, at the URL it returns, what busybox
// cannot make: the build contexts and the compose file of testdata/docker
// as tar archives (NAME.tar holds NAME/), with the programs they need,
// built or taken from the host, and hello.txt. The server listens on the
// host's loopback, which QEMU's user network shows the guest as 10.0.2.2.
func serveGuestFiles(t *testing.T) string {
	t.Helper()
	docker := filepath.Join(repo, "test/testdata/docker")
	files := map[string][]byte{
		"/hello.txt": []byte(helloText + "\n"),
		"/udpecho.tar": tarOf(t, map[string]string{
			"udpecho/Dockerfile": filepath.Join(docker, "udpecho/Dockerfile"),
			"udpecho/udpecho":    buildUDPEcho(t),
		}),
		"/getent.tar":  tarOf(t, getentContext(t, filepath.Join(docker, "getent"))),
		"/compose.tar": tarOf(t, map[string]string{"compose/compose.yaml": filepath.Join(docker, "compose/compose.yaml")}),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return "http://10.0.2.2:" + port(srv.URL)
}

// buildUDPEcho builds testdata/udpecho as one static file.
func buildUDPEcho(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "udpecho")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./test/testdata/udpecho")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building udpecho: %v\n%s", err, out)
	}
	return bin
}

// getentContext is the build context of testdata/docker/getent: its
// Dockerfile, and under root/ its nsswitch.conf and the host's getent with
// the libraries it links and its dynamic loader, where the loader looks.
func getentContext(t *testing.T, dir string) map[string]string {
	t.Helper()
	bin, err := exec.LookPath("getent")
	if err != nil {
		t.Fatalf("the host has no getent (libc-bin) for the image of glibc's resolver: %v", err)
	}
	interp, libs, err := sharedLibs(bin)
	if err != nil {
		t.Fatalf("finding the libraries of %s: %v", bin, err)
	}
	ctx := map[string]string{
		"getent/Dockerfile":             filepath.Join(dir, "Dockerfile"),
		"getent/root/etc/nsswitch.conf": filepath.Join(dir, "nsswitch.conf"),
		"getent/root/usr/bin/getent":    bin,
		"getent/root" + interp:          interp,
	}
	for _, l := range libs {
		ctx["getent/root/lib/x86_64-linux-gnu/"+filepath.Base(l)] = l
	}
	return ctx
}

// libDirs are where the host's dynamic loader finds libraries.
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"}

// sharedLibs returns the dynamic loader of the ELF program bin and the
// shared libraries it needs, directly or through each other, as host paths.
func sharedLibs(bin string) (interp string, libs []string, err error) {
	f, err := elf.Open(bin)
	if err != nil {
		return "", nil, err
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				f.Close()
				return "", nil, err
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	f.Close()
	if interp == "" {
		return "", nil, fmt.Errorf("%s is not dynamically linked", bin)
	}
	seen := map[string]bool{path.Base(interp): true}
	var walk func(string) error
	walk = func(file string) error {
		f, err := elf.Open(file)
		if err != nil {
			return err
		}
		needed, err := f.ImportedLibraries()
		f.Close()
		if err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		for _, n := range needed {
			if seen[n] {
				continue
			}
			seen[n] = true
			lib, err := findLib(n)
			if err != nil {
				return err
			}
			libs = append(libs, lib)
			if err := walk(lib); err != nil {
				return err
			}
		}
		return nil
	}
	return interp, libs, walk(bin)
}

func findLib(name string) (string, error) {
	for _, d := range libDirs {
		if p := filepath.Join(d, name); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no %s in %s", name, strings.Join(libDirs, ", "))
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// tarOf archives host files (tar path → host path, symlinks followed) with
// the directories they are in.
func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	dirs := map[string]bool{}
	for name := range files {
		names = append(names, name)
		for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	sort.Strings(names)
	dirNames := make([]string, 0, len(dirs))
	for d := range dirs {
		dirNames = append(dirNames, d)
	}
	sort.Strings(dirNames) // a directory before what it holds
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	for _, d := range dirNames {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: now}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range names {
		b, err := os.ReadFile(files[name])
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(files[name])
		if err != nil {
			t.Fatal(err)
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(fi.Mode().Perm()), Size: int64(len(b)), ModTime: now}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
