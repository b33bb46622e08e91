package partitions

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	diskfs "github.com/diskfs/go-diskfs"

	"github.com/ros-os/ros/internal/testutil/need"
)

// TestBlockDevice runs Write, Read and OpenPart on a loop device, which is
// what ros sees on a real disk: the sector size comes from the kernel, and
// the kernel must learn the new partitions. It needs root.
func TestBlockDevice(t *testing.T) {
	if testing.Short() {
		t.Skip("uses a loop device")
	}
	need.Root(t)
	sgdisk := need.Tool(t, "sgdisk")
	partx := need.Tool(t, "partx")
	for _, ss := range []int64{512, 4096} {
		t.Run(fmt.Sprint(ss), func(t *testing.T) {
			dev := need.Loop(t, newImage(t, 4*GiB), ss)
			d, err := diskfs.Open(dev)
			if err != nil {
				t.Fatal(err)
			}
			if d.LogicalBlocksize != ss {
				t.Fatalf("%s has %d-byte sectors, want %d", dev, d.LogicalBlocksize, ss)
			}
			placed, err := Plan(DefaultLayout(Sizes{}), d.Size, d.LogicalBlocksize)
			if err != nil {
				t.Fatal(err)
			}
			written, err := Write(d, placed, WithRand(rand.NewChaCha8([32]byte{1})))
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			checkWritten(t, written, ss)
			got, err := Read(dev)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(written) {
				t.Errorf("Read =\n%+v\nwrote\n%+v", got, written)
			}
			checkSgdisk(t, sgdisk, dev, written)
			checkPartx(t, partx, dev, written)
			checkKernelPartitions(t, dev, written)

			s, err := OpenPart(dev, LabelRootA)
			if err != nil {
				t.Fatalf("OpenPart: %v", err)
			}
			defer s.Close()
			if _, err := s.WriteAt([]byte("hsqs"), 0); err != nil {
				t.Fatal(err)
			}
			if _, err := s.WriteAt([]byte("hsqs"), s.Size()-3); err == nil {
				t.Error("WriteAt across the end of the slot succeeded")
			}
		})
	}
}

// checkKernelPartitions checks that the kernel re-read the table: it has
// the partitions where Write put them.
func checkKernelPartitions(t *testing.T, dev string, written []Placed) {
	t.Helper()
	if !kernelReadsGPT(t) {
		t.Log("this kernel has no CONFIG_EFI_PARTITION: not checking its view of the partitions")
		return
	}
	base := filepath.Base(dev)
	for i, p := range written {
		dir := fmt.Sprintf("/sys/class/block/%sp%d", base, i+1)
		// sysfs counts in 512-byte units whatever the sector size.
		for file, want := range map[string]int64{"start": p.Offset() / 512, "size": p.Size() / 512} {
			b, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Errorf("the kernel does not know %s: %v", p.Name, err)
				continue
			}
			if got, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); got != want {
				t.Errorf("kernel %s %s = %d, want %d", dir, file, got, want)
			}
		}
	}
}

// kernelReadsGPT reports whether the running kernel can parse a GPT. Some
// (Firecracker's, for one) cannot; then re-reading the table succeeds but
// finds no partitions. Without /proc/config.gz it assumes it can.
func kernelReadsGPT(t *testing.T) bool {
	f, err := os.Open("/proc/config.gz")
	if err != nil {
		return true
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	config, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(config, []byte("\nCONFIG_EFI_PARTITION=y\n"))
}
