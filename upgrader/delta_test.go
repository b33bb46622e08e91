package upgrader

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/chunked"
	"github.com/ros-os/ros/installer"
	"github.com/ros-os/ros/internal/testimage"
	"github.com/ros-os/ros/partitions"
)

// countingRegistry is the in-process registry with a count of the bytes
// it served of one blob, and switches that break what a registry may break.
type countingRegistry struct {
	h       http.Handler
	mu      sync.Mutex
	blob    string // the digest counted in served and ranges
	served  int64
	perBlob map[string]int64 // bytes served of every blob, by digest
	ranges  int
	noRange bool // ignores Range, as some registries and proxies do
	tamper  bool // flips a byte of every range it serves
}

func (c *countingRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	_, digest, isBlob := strings.Cut(r.URL.Path, "/blobs/")
	isBlob = isBlob && r.Method == http.MethodGet
	counted := isBlob && c.blob != "" && digest == c.blob
	if counted && r.Header.Get("Range") != "" {
		c.ranges++
		if c.noRange {
			r.Header.Del("Range")
		}
	}
	tamper := c.tamper
	c.mu.Unlock()
	if !isBlob {
		c.h.ServeHTTP(w, r)
		return
	}
	cw := &countWriter{ResponseWriter: w, tamper: counted && tamper && r.Header.Get("Range") != ""}
	c.h.ServeHTTP(cw, r)
	c.mu.Lock()
	if counted {
		c.served += cw.n
	}
	if c.perBlob == nil {
		c.perBlob = map[string]int64{}
	}
	c.perBlob[digest] += cw.n
	c.mu.Unlock()
}

type countWriter struct {
	http.ResponseWriter
	n      int64
	tamper bool
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.tamper && c.n == 0 && len(p) > 0 {
		p = append([]byte{p[0] ^ 0xFF}, p[1:]...)
	}
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

// deltaImages are two versions that differ by one file, as two builds
// that differ by one package do.
func deltaImages(t *testing.T) (v1, v2 v1.Image) {
	t.Helper()
	r := rand.New(rand.NewSource(7))
	files := map[string][]byte{}
	for i := 0; i < 12; i++ {
		b := make([]byte, 1<<20+r.Intn(1<<20))
		r.Read(b)
		files[fmt.Sprintf("usr/lib/pkg%02d/lib.so", i)] = b
	}
	one := testimage.NewFrom(t, "1.0.0", "amd64", files)
	changed := make([]byte, 300<<10)
	r.Read(changed)
	files["usr/lib/pkg05/lib.so"] = changed
	return one, testimage.NewFrom(t, "2.0.0", "amd64", files)
}

// deltaMachine is a machine installed with img, whose slot A's chunks
// are known as the installer leaves them.
func deltaMachine(t *testing.T, img v1.Image) *machine {
	t.Helper()
	ref, _ := testimage.Layout(t, img, "1.0.0")
	m := &machine{disk: filepath.Join(t.TempDir(), "disk.img"), esp: t.TempDir(), record: filepath.Join(t.TempDir(), "record.json")}
	opts := installer.Options{Device: m.disk, Image: ref, Size: 1 << 30, Sizes: partitions.Sizes{Slot: 64 << 20}, Trust: testimage.Trust(t)}
	if _, err := installer.Install(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if err := bootloader.WriteEntry(bootloader.DirFS(m.esp), bootloader.SlotEntry("a", 1, "1.0.0", "console=ttyS0")); err != nil {
		t.Fatal(err)
	}
	cfg, err := artifact.Inspect(img, artifact.WithArch("amd64"))
	if err != nil {
		t.Fatal(err)
	}
	if err := chunked.Save(chunked.SlotFile(filepath.Dir(m.record), "a"), *cfg.Parts.Rootfs.Chunks); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *machine) deltaUpgrade(t *testing.T, ref string, running io.ReaderAt, dryRun bool) (*Report, error) {
	t.Helper()
	sec, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer sec.Close()
	if running == nil {
		a, err := partitions.OpenPart(m.disk, partitions.RootLabel("a"))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		running = a
	}
	var target Slot = sec
	if m.slot != nil {
		target = m.slot(sec)
	}
	return Upgrade(context.Background(), Options{Ref: ref, Booted: "a", Running: "1.0.0", Cmdline: "console=ttyS0",
		Slot: target, ESP: bootloader.DirFS(m.esp), Record: m.record, Lock: filepath.Join(t.TempDir(), "lock"),
		Trust: testimage.Trust(t), RunningSlot: running, DryRun: dryRun, ImageOpts: []artifact.Option{artifact.WithInsecure()}})
}

// slotBHolds reports whether slot B starts with the uncompressed rootfs
// of img.
func (m *machine) slotBHolds(t *testing.T, img v1.Image) bool {
	t.Helper()
	cfg, err := artifact.Inspect(img, artifact.WithArch("amd64"))
	if err != nil {
		t.Fatal(err)
	}
	sec, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer sec.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(sec, 0, cfg.Parts.Rootfs.Uncompressed.Size)); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil)) == cfg.Parts.Rootfs.Uncompressed.Digest.Hex
}

// TestDeltaUpgrade: an upgrade to a version that differs by one file
// downloads only the chunks around it (counted at the registry), takes the
// rest from the running slot, and writes the same slot a full download
// would; a dry run says so and writes nothing; a registry that ignores
// Range, or a running slot whose bytes no longer match, costs downloads,
// never a wrong slot; a registry that serves a wrong chunk is refused.
func TestDeltaUpgrade(t *testing.T) {
	one, two := deltaImages(t)
	reg := &countingRegistry{h: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(reg)
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/ros/os:2.0.0"
	push(t, two, ref)
	cfg, err := artifact.Inspect(two, artifact.WithArch("amd64"))
	if err != nil {
		t.Fatal(err)
	}
	full := cfg.Parts.Rootfs.Size
	reg.blob = cfg.Parts.Rootfs.Digest.String()
	reset := func(noRange, tamper bool) {
		reg.mu.Lock()
		reg.served, reg.ranges, reg.noRange, reg.tamper, reg.perBlob = 0, 0, noRange, tamper, nil
		reg.mu.Unlock()
	}

	t.Run("one file changed", func(t *testing.T) {
		m := deltaMachine(t, one)
		reset(false, false)
		dry, err := m.deltaUpgrade(t, ref, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		if reg.served != 0 || m.slotBHolds(t, two) {
			t.Fatalf("the dry run downloaded %d bytes of the rootfs or wrote slot b", reg.served)
		}
		rep, err := m.deltaUpgrade(t, ref, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if !m.slotBHolds(t, two) {
			t.Fatal("slot b does not hold v2's root filesystem")
		}
		if rep.Rootfs.Downloaded != dry.Rootfs.Downloaded || reg.served != rep.Rootfs.Downloaded || rep.Rootfs.Downloaded > full/4 || rep.Rootfs.Reused == 0 {
			t.Errorf("downloaded %d (dry run said %d, the registry served %d) of %d bytes, reused %d: want the changed chunks only",
				rep.Rootfs.Downloaded, dry.Rootfs.Downloaded, reg.served, full, rep.Rootfs.Reused)
		}
		if reg.ranges == 0 || reg.ranges > 3 {
			t.Errorf("%d range requests for one changed region, want neighbours coalesced", reg.ranges)
		}
		t.Logf("downloaded %d of %d bytes (%.1f %%) in %d ranges, reused %d", rep.Rootfs.Downloaded, full, 100*float64(rep.Rootfs.Downloaded)/float64(full), reg.ranges, rep.Rootfs.Reused)
	})

	t.Run("chunks the slot being written still holds", func(t *testing.T) {
		m := deltaMachine(t, one)
		// Slot b holds v1 too (an older image), slot a's chunks are not known.
		dir := filepath.Dir(m.record)
		if err := os.Rename(chunked.SlotFile(dir, "a"), chunked.SlotFile(dir, "b")); err != nil {
			t.Fatal(err)
		}
		a, err := partitions.OpenPart(m.disk, partitions.RootLabel("a"))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := partitions.OpenPart(m.disk, partitions.RootLabel("b"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.NewOffsetWriter(b, 0), io.NewSectionReader(a, 0, a.Size())); err != nil {
			t.Fatal(err)
		}
		b.Close()
		reset(false, false)
		rep, err := m.deltaUpgrade(t, ref, a, false)
		if err != nil || !m.slotBHolds(t, two) {
			t.Fatalf("upgrade: %v; slot b right: %v", err, m.slotBHolds(t, two))
		}
		if rep.Rootfs.Reused == 0 || reg.served != rep.Rootfs.Downloaded || rep.Rootfs.Downloaded > full/2 {
			t.Errorf("reused %d from slot b itself, downloaded %d of %d (the registry served %d)", rep.Rootfs.Reused, rep.Rootfs.Downloaded, full, reg.served)
		}
	})

	t.Run("boot files the running slot has", func(t *testing.T) {
		m := deltaMachine(t, one)
		// Slot a's ESP directory: v2's kernel as it is, an initramfs of
		// another build.
		esp := bootloader.DirFS(m.esp)
		if err := esp.Mkdir(bootloader.SlotDir("a")); err != nil {
			t.Fatal(err)
		}
		rc, _, err := artifact.OpenPart(two, artifact.KernelMediaType)
		if err != nil {
			t.Fatal(err)
		}
		_, err = bootloader.WriteFile(esp, bootloader.SlotDir("a")+"/vmlinuz", rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bootloader.WriteFile(esp, bootloader.SlotDir("a")+"/initrd", strings.NewReader("another initramfs")); err != nil {
			t.Fatal(err)
		}
		reset(false, false)
		dry, err := m.deltaUpgrade(t, ref, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := m.deltaUpgrade(t, ref, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		kernel, initrd := cfg.Parts.Kernel, cfg.Parts.Initramfs
		want := Transfer{Reused: kernel.Size, Downloaded: initrd.Size, Full: kernel.Size + initrd.Size}
		if rep.Boot != want || dry.Boot != want {
			t.Errorf("boot files: %+v (dry run %+v), want %+v", rep.Boot, dry.Boot, want)
		}
		if got := reg.perBlob[kernel.Digest.String()]; got != 0 {
			t.Errorf("the registry served %d bytes of the kernel the running slot holds", got)
		}
		if got := reg.perBlob[initrd.Digest.String()]; got != initrd.Size {
			t.Errorf("the registry served %d bytes of the initramfs, want all %d", got, initrd.Size)
		}
		for name, b := range map[string]artifact.Blob{"vmlinuz": kernel, "initrd": initrd} {
			if got, err := bootloader.Digest(esp, bootloader.SlotDir("b")+"/"+name); err != nil || got != b.Digest.Hex {
				t.Errorf("slot b's %s on the ESP: sha256:%s (%v), want %s", name, got, err, b.Digest)
			}
		}
		if tot := rep.Total(); tot.Downloaded != rep.Rootfs.Downloaded+initrd.Size || tot.Full != full+kernel.Size+initrd.Size {
			t.Errorf("total %+v does not add up the root filesystem %+v and the boot files", tot, rep.Rootfs)
		}
	})

	t.Run("a registry that ignores Range", func(t *testing.T) {
		m := deltaMachine(t, one)
		reset(true, false)
		rep, err := m.deltaUpgrade(t, ref, nil, false)
		if err != nil || !m.slotBHolds(t, two) {
			t.Fatalf("upgrade: %v; slot b right: %v", err, m.slotBHolds(t, two))
		}
		if rep.Rootfs.Downloaded != full {
			t.Errorf("downloaded %d, want the whole blob (%d)", rep.Rootfs.Downloaded, full)
		}
	})

	t.Run("the running slot changed under its index", func(t *testing.T) {
		m := deltaMachine(t, one)
		reset(false, false)
		a, err := partitions.OpenPart(m.disk, partitions.RootLabel("a"))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		dry, err := m.deltaUpgrade(t, ref, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		reset(false, false)
		// The chunk holding the flipped byte is written as the slot has it
		// and found when slot b is read back: it is downloaded then.
		rep, err := m.deltaUpgrade(t, ref, flipped{a, 3 << 20}, false)
		if err != nil || !m.slotBHolds(t, two) {
			t.Fatalf("upgrade: %v; slot b right: %v", err, m.slotBHolds(t, two))
		}
		if reg.served != rep.Rootfs.Downloaded || rep.Rootfs.Downloaded <= dry.Rootfs.Downloaded || rep.Rootfs.Reused >= dry.Rootfs.Reused {
			t.Errorf("downloaded %d and reused %d, the registry served %d; planned: %d and %d", rep.Rootfs.Downloaded, rep.Rootfs.Reused,
				reg.served, dry.Rootfs.Downloaded, dry.Rootfs.Reused)
		}
	})

	t.Run("a disk that garbles a chunk taken from the running slot", func(t *testing.T) {
		m := deltaMachine(t, one)
		m.slot = func(s *partitions.Section) Slot { return garbledAt{s, 3 << 20} } // a chunk slot a has
		reset(false, false)
		_, err := m.deltaUpgrade(t, ref, nil, false)
		if !errors.Is(err, artifact.ErrDigestMismatch) || !strings.Contains(err.Error(), "after it was downloaded") {
			t.Fatalf("upgrade: %v, want the chunk refused once downloaded too", err)
		}
		entries, err := bootloader.ReadEntries(bootloader.DirFS(m.esp))
		if err != nil || len(entries) != 1 || entries[0].ID != "ros-a" {
			t.Fatalf("after a garbled slot the entries are %+v (%v), want slot a's alone", entries, err)
		}
	})

	t.Run("a registry serving a wrong chunk", func(t *testing.T) {
		m := deltaMachine(t, one)
		reset(false, true)
		_, err := m.deltaUpgrade(t, ref, nil, false)
		if !errors.Is(err, artifact.ErrDigestMismatch) {
			t.Fatalf("upgrade: %v, want a digest mismatch", err)
		}
		entries, err := bootloader.ReadEntries(bootloader.DirFS(m.esp))
		if err != nil || len(entries) != 1 || entries[0].ID != "ros-a" {
			t.Fatalf("after a refused chunk the entries are %+v (%v), want slot a's alone", entries, err)
		}
	})
}

// garbledAt is a disk that writes byte at wrong whenever it is written.
type garbledAt struct {
	*partitions.Section
	at int64
}

func (g garbledAt) WriteAt(p []byte, off int64) (int, error) {
	if off <= g.at && g.at < off+int64(len(p)) {
		p = append([]byte(nil), p...)
		p[g.at-off] ^= 0x40
	}
	return g.Section.WriteAt(p, off)
}

// flipped is a ReaderAt with one byte flipped at off.
type flipped struct {
	r   io.ReaderAt
	off int64
}

func (f flipped) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.r.ReadAt(p, off)
	if f.off >= off && f.off < off+int64(n) {
		p[f.off-off] ^= 1
	}
	return n, err
}
