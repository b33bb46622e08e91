package artifact

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestLayoutRoundTrip(t *testing.T) {
	img, parts := buildTest(t, "1.0.0")
	dir := layoutOf(t, img, "1.0.0")
	archive := filepath.Join(t.TempDir(), "os.tar")
	tarDir(t, dir, archive, "./")
	plain := filepath.Join(t.TempDir(), "plain.tar")
	tarDir(t, dir, plain, "")

	for _, ref := range []string{
		"oci-layout:" + dir + ":1.0.0",
		"oci-layout:" + dir,
		"oci-archive:" + archive,
		"oci-archive:" + archive + ":1.0.0",
		"oci-archive:" + plain,
	} {
		t.Run(ref, func(t *testing.T) {
			got, err := Open(ref)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if wantDigest(t, got) != wantDigest(t, img) {
				t.Errorf("digest changed through %s", ref)
			}
			cfg, err := Inspect(got, WithArch("amd64"))
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if cfg.Version != "1.0.0" || cfg.Cmdline != testCmdline || cfg.OS != "linux" {
				t.Errorf("config = %+v", cfg)
			}
			wantPart(t, got, KernelMediaType, parts.Kernel)
			wantPart(t, got, InitramfsMediaType, parts.Initramfs)
			wantPart(t, got, RootfsMediaType, parts.Rootfs)
		})
	}
}

func TestManifestFormat(t *testing.T) {
	img, _ := buildTest(t, "1.2.3-rc.1")
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	checkRawManifest(t, raw, "1.2.3-rc.1")
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(rawCfg, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "architecture", "os", "cmdline", "parts"} {
		if _, ok := cfg[k]; !ok {
			t.Errorf("config has no %q: %s", k, rawCfg)
		}
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		d, _ := l.Digest()
		if id, err := l.DiffID(); err != nil || id != d {
			t.Errorf("DiffID = %v, %v, want digest %v", id, err, d)
		}
	}
}

// checkRawManifest checks the manifest as a registry or a layout stores it.
func checkRawManifest(t *testing.T, raw []byte, version string) {
	t.Helper()
	m, err := v1.ParseManifest(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != ConfigMediaType {
		t.Errorf("media types: manifest %q, config %q", m.MediaType, m.Config.MediaType)
	}
	want := []types.MediaType{KernelMediaType, InitramfsMediaType, RootfsMediaType}
	if len(m.Layers) != len(want) {
		t.Fatalf("%d layers, want %d", len(m.Layers), len(want))
	}
	for i, l := range m.Layers {
		if l.MediaType != want[i] {
			t.Errorf("layer %d media type %q, want %q", i, l.MediaType, want[i])
		}
	}
	if m.Annotations[AnnotationVersion] != version || m.Annotations[AnnotationTitle] != Title {
		t.Errorf("annotations = %v", m.Annotations)
	}
}

func TestReproducible(t *testing.T) {
	p := testParts(t, t.TempDir())
	build := func(version, cmdline string) v1.Hash {
		img, err := New(p, version, "amd64", cmdline)
		if err != nil {
			t.Fatal(err)
		}
		return wantDigest(t, img)
	}
	first := build("1.0.0", testCmdline)
	if again := build("1.0.0", testCmdline); again != first {
		t.Errorf("same inputs gave %s then %s", first, again)
	}
	if other := build("1.0.0", "quiet"); other == first {
		t.Errorf("another cmdline gave the same digest %s", first)
	}
}

func TestWriteLayoutTags(t *testing.T) {
	a, _ := buildTest(t, "1.0.0")
	b, _ := buildTest(t, "1.1.0")
	tests := []struct {
		name  string
		write []string // "a:tag" or "b:tag"
		want  map[string]v1.Image
	}{
		{"same tag twice", []string{"a:1.0.0", "a:1.0.0"}, map[string]v1.Image{"1.0.0": a}},
		{"tag replaced", []string{"a:latest", "b:latest"}, map[string]v1.Image{"latest": b}},
		{"two tags", []string{"a:1.0.0", "b:1.1.0"}, map[string]v1.Image{"1.0.0": a, "1.1.0": b}},
		{"one image two tags", []string{"a:1.0.0", "a:stable"}, map[string]v1.Image{"1.0.0": a, "stable": a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, w := range tt.write {
				img := map[string]v1.Image{"a": a, "b": b}[w[:1]]
				if err := WriteLayout(dir, img, w[2:]); err != nil {
					t.Fatal(err)
				}
			}
			checkIndex(t, dir, tt.want)
		})
	}
}

// checkIndex checks that index.json names exactly the images in want.
func checkIndex(t *testing.T, dir string, want map[string]v1.Image) {
	t.Helper()
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != len(want) {
		t.Errorf("index holds %d images, want %d", len(im.Manifests), len(want))
	}
	for _, d := range im.Manifests {
		tag := d.Annotations[AnnotationRefName]
		if img, ok := want[tag]; !ok || d.Digest != wantDigest(t, img) {
			t.Errorf("index names %s as %q", d.Digest, tag)
		}
	}
}

func TestWriteLayoutBadTag(t *testing.T) {
	img, _ := buildTest(t, "1.0.0")
	for _, tag := range []string{"", "a/b", "a:b", ".x", strings.Repeat("x", 129)} {
		if err := WriteLayout(t.TempDir(), img, tag); err == nil {
			t.Errorf("WriteLayout accepted tag %q", tag)
		}
	}
}

func TestOpenLayoutSelect(t *testing.T) {
	a, _ := buildTest(t, "1.0.0")
	b, _ := buildTest(t, "1.1.0")
	two := layoutOf(t, a, "1.0.0")
	if err := WriteLayout(two, b, "1.1.0"); err != nil {
		t.Fatal(err)
	}
	none := t.TempDir()
	if _, err := layout.Write(none, empty.Index); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref     string
		want    v1.Image
		wantErr error
		msg     []string
	}{
		{"oci-layout:" + two + ":1.1.0", b, nil, nil},
		{"oci-layout:" + two + ":1.0.0", a, nil, nil},
		{"oci-layout:" + two, nil, ErrTagRequired, []string{"1.0.0", "1.1.0", "2 images"}},
		{"oci-layout:" + two + ":2.0.0", nil, ErrTagNotFound, []string{`"2.0.0"`, "1.0.0, 1.1.0"}},
		{"oci-layout:" + none, nil, ErrTagRequired, []string{"0 images", "tags: none"}},
		{"oci-layout:" + t.TempDir(), nil, os.ErrNotExist, []string{"index.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			img, err := Open(tt.ref)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open = %v, want %v", err, tt.wantErr)
			}
			for _, s := range tt.msg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if tt.want != nil && wantDigest(t, img) != wantDigest(t, tt.want) {
				t.Errorf("opened the wrong image")
			}
		})
	}
}

func TestSplitTag(t *testing.T) {
	tests := []struct{ in, path, tag string }{
		{"dir", "dir", ""},
		{"dir:1.0.0", "dir", "1.0.0"},
		{"/a/b:latest", "/a/b", "latest"},
		{"/a:b/c", "/a:b/c", ""},
		{"./x:y", "./x", "y"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			path, tag := splitTag(tt.in)
			if path != tt.path || tag != tt.tag {
				t.Errorf("splitTag(%q) = %q, %q, want %q, %q", tt.in, path, tag, tt.path, tt.tag)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	p := testParts(t, t.TempDir())
	missing := p
	missing.Rootfs = filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name    string
		parts   Parts
		version string
		arch    string
		wantErr error
	}{
		{"semver", p, "1.0.0", "amd64", nil},
		{"v prefix", p, "v1.0.0", "amd64", nil},
		{"prerelease", p, "1.0.0-rc.1+build.5", "amd64", nil},
		{"latest", p, "latest", "amd64", ErrBadVersion},
		{"double dot", p, "1..2", "amd64", ErrBadVersion},
		{"empty version", p, "", "amd64", ErrBadVersion},
		{"spaces", p, "1.0.0 ", "amd64", ErrBadVersion},
		{"no arch", p, "1.0.0", "", errAny},
		{"missing rootfs", missing, "1.0.0", "amd64", os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.parts, tt.version, tt.arch, "")
			if !matches(err, tt.wantErr) {
				t.Errorf("New = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// errAny in a table means any non-nil error.
var errAny = errors.New("any error")

func matches(err, want error) bool {
	if want == errAny {
		return err != nil
	}
	return errors.Is(err, want)
}

func TestInspectErrors(t *testing.T) {
	arm := buildArch(t, "arm64")
	notROS, err := random.Image(100, 3)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		img     v1.Image
		opts    []Option
		wantErr error
		msg     string
	}{
		{"wrong arch", arm, []Option{WithArch("amd64")}, ErrWrongArch, "image is for arm64, this machine is amd64"},
		{"arch option", arm, []Option{WithArch("arm64")}, nil, ""},
		{"docker image", notROS, nil, ErrNotROSImage, "manifest media type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Inspect(tt.img, tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Inspect = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func buildArch(t *testing.T, arch string) v1.Image {
	t.Helper()
	img, err := New(testParts(t, t.TempDir()), "1.0.0", arch, "")
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestInspectDefaultArch(t *testing.T) {
	other := map[bool]string{true: "arm64", false: "amd64"}[runtime.GOARCH == "amd64"]
	if _, err := Inspect(buildArch(t, other)); !errors.Is(err, ErrWrongArch) {
		t.Errorf("Inspect of a %s image = %v, want ErrWrongArch", other, err)
	}
}

// TestTarballWriter checks that ggcr's docker-save writer takes the image
// (the format keeps no OCI media types, so the result is not one to Open).
func TestTarballWriter(t *testing.T) {
	img, _ := buildTest(t, "1.0.0")
	dir := layoutOf(t, img, "1.0.0")
	tag, err := name.NewTag("example.com/ros/os:1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"", "oci-layout:" + dir, "oci-archive:" + tarOf(t, dir)} {
		t.Run(ref, func(t *testing.T) {
			src := img
			if ref != "" {
				src = openOrFail(ref)(t)
			}
			if err := tarball.WriteToFile(filepath.Join(t.TempDir(), "os.tar"), tag, src); err != nil {
				t.Errorf("tarball.WriteToFile: %v", err)
			}
		})
	}
}
