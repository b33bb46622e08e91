//go:build e2e

package test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
	"github.com/ros-os/ros/installer"
	"github.com/ros-os/ros/partitions"
)

// BenchmarkInstall installs the built image into a 4 GiB image file and
// reports each phase, then compares writing the slot's bytes through ros's
// slot writer with dd writing the same bytes to the same place, in the same
// run. "write slot a" includes decoding the chunks and digest checks; the
// writer-vs-dd pair isolates the write path.
func BenchmarkInstall(b *testing.B) {
	ref := "oci-layout:" + filepath.Join(repo, "build/oci") + ":" + version(b)
	keys, err := signature.LoadKeys(filepath.Join(repo, testKey+".pub"))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		disk := filepath.Join(b.TempDir(), "disk.img")
		rep, err := installer.Install(context.Background(), installer.Options{Device: disk, Image: ref, Size: 4 << 30, Trust: trust.Policy{Keys: keys}})
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range rep.Phases {
			b.ReportMetric(p.Duration.Seconds(), "s/"+metricName(p.Name))
			if p.Name == "write slot a" {
				b.ReportMetric(float64(rep.SlotBytes)/1e6/p.Duration.Seconds(), "MB/s-slot-a-from-chunks")
			}
		}
		writeVsDD(b, disk) // first writes allocate the sparse file's blocks
		ours, dd := writeVsDD(b, disk)
		b.ReportMetric(ours, "MB/s-slot-writer")
		b.ReportMetric(dd, "MB/s-dd")
		b.ReportMetric(ours/dd, "x-dd")
	}
}

func metricName(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == ' ' {
			out[i] = '-'
		}
	}
	return string(out)
}

// writeVsDD writes build/os/rootfs.squashfs into slot b of disk with the
// same writer install uses (partitions.Section, fsync), then with dd
// (bs=1M, conv=fsync), and returns both throughputs in MB/s.
func writeVsDD(b *testing.B, disk string) (ours, dd float64) {
	src := filepath.Join(repo, "build/os/rootfs.squashfs")
	fi, err := os.Stat(src)
	if err != nil {
		b.Fatal(err)
	}
	warm(b, src)
	start := time.Now()
	sec, err := partitions.OpenPart(disk, partitions.RootLabel("b"))
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyBuffer(io.NewOffsetWriter(sec, 0), f, make([]byte, 1<<20)); err != nil {
		b.Fatal(err)
	}
	if err := sec.Sync(); err != nil {
		b.Fatal(err)
	}
	ours = float64(fi.Size()) / 1e6 / time.Since(start).Seconds()
	f.Close()
	sec.Close()
	start = time.Now()
	cmd := exec.Command("dd", "if="+src, "of="+disk, "bs=1M", "oflag=seek_bytes", "seek="+strconv.FormatInt(sec.Part.Offset(), 10),
		"conv=notrunc,fsync", "status=none")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("dd: %v %s", err, out)
	}
	dd = float64(fi.Size()) / 1e6 / time.Since(start).Seconds()
	fmt.Printf("slot write of %d MB: ros %.0f MB/s, dd %.0f MB/s\n", fi.Size()>>20, ours, dd)
	return ours, dd
}

// warm reads src once so both writers start from the page cache.
func warm(b *testing.B, src string) {
	f, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, f); err != nil {
		b.Fatal(err)
	}
}
