//go:build e2e

package test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkImage reports the size of each part of the OS image and the time
// of a rebuild with a warm cache (packages and rootfs cached, as in a
// developer's edit-build loop that leaves the root filesystem unchanged).
func BenchmarkImage(b *testing.B) {
	v := version(b)
	bin := mkimage(b)
	var warm time.Duration
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		start := time.Now()
		run(b, bin, "build", "--version", v, "--ros", "build/ros", "--init", "build/ros-initramfs", "--cache", "build/cache",
			"--out", filepath.Join(dir, "os"), "--oci", filepath.Join(dir, "oci"))
		warm = time.Since(start)
	}
	b.ReportMetric(warm.Seconds(), "s/warm-build")
	parts := []struct{ metric, file string }{
		{"MB/kernel", "vmlinuz"}, {"MB/initramfs", "initrd"},
		{"MB/rootfs-chunked", "rootfs.squashfs.chunked"}, {"MB/rootfs-squashfs", "rootfs.squashfs"},
	}
	var artifact float64
	for _, p := range parts {
		mb := fileMB(b, filepath.Join(repo, "build/os", p.file))
		b.ReportMetric(mb, p.metric)
		if p.file != "rootfs.squashfs" {
			artifact += mb
		}
	}
	b.ReportMetric(artifact, "MB/artifact")
	fmt.Printf("five biggest files in the root filesystem:\n%s", biggest(b, 5))
}

func fileMB(b *testing.B, path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return float64(fi.Size()) / 1e6
}

// biggest lists the n largest files of build/os/rootfs.squashfs.
func biggest(b *testing.B, n int) string {
	out := run(b, "unsquashfs", "-lls", filepath.Join(repo, "build/os/rootfs.squashfs"))
	type file struct {
		size int64
		path string
	}
	var files []file
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[0], "-") {
			continue
		}
		size, _ := strconv.ParseInt(f[2], 10, 64)
		files = append(files, file{size, strings.TrimPrefix(f[5], "squashfs-root")})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].size > files[j].size })
	var sb strings.Builder
	for i := 0; i < n && i < len(files); i++ {
		fmt.Fprintf(&sb, "  %6.1f MB  %s\n", float64(files[i].size)/1e6, files[i].path)
	}
	return sb.String()
}
