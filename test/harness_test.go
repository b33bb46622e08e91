//go:build e2e

// Package test holds the end-to-end tests: they boot what `make image` built
// in QEMU and assert on what a user sees on the console. `make test` runs them
// (go test -tags e2e ./test/); plain `go test ./...` does not build them.
package test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/internal/qemu"
)

// repo is the repository root; build outputs live under repo/build.
var repo = func() string { d, _ := filepath.Abs(".."); return d }()

func version(t testing.TB) string {
	b, err := os.ReadFile(filepath.Join(repo, "VERSION"))
	if err != nil {
		t.Fatalf("reading VERSION: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// osImage opens the OS image `make image` wrote, tagged with VERSION.
func osImage(t testing.TB) (artifact.Config, *extracted) {
	t.Helper()
	ref := "oci-layout:" + filepath.Join(repo, "build/oci") + ":" + version(t)
	img, err := artifact.Open(ref)
	if err != nil {
		t.Fatalf("opening %s (run make image first): %v", ref, err)
	}
	cfg, err := artifact.Inspect(img)
	if err != nil {
		t.Fatalf("inspecting %s: %v", ref, err)
	}
	dir := t.TempDir()
	ex := &extracted{Kernel: filepath.Join(dir, "vmlinuz"), Initrd: filepath.Join(dir, "initrd")}
	extract(t, img, artifact.KernelMediaType, ex.Kernel)
	extract(t, img, artifact.InitramfsMediaType, ex.Initrd)
	return cfg, ex
}

type extracted struct{ Kernel, Initrd string }

// extract writes one part of the image to a file, verifying its digest.
func extract(t testing.TB, img v1.Image, mt types.MediaType, dst string) {
	t.Helper()
	if err := artifact.SavePart(img, mt, dst); err != nil {
		t.Fatalf("extracting %s: %v", mt, err)
	}
}

// keepConsole saves a failed test's whole console under build/e2e-logs.
func keepConsole(t testing.TB, vm *qemu.VM) {
	dir := filepath.Join(repo, "build/e2e-logs")
	name := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".console.log")
	if err := os.MkdirAll(dir, 0o755); err == nil && os.WriteFile(name, []byte(vm.Console.String()), 0o644) == nil {
		t.Logf("whole console: %s", name)
	}
}

// kernelOops matches the first line of a kernel oops, panic or lockup report.
var kernelOops = regexp.MustCompile(`(?m)^.*(Kernel panic|BUG:|soft lockup|hung_task|Oops:|general protection|RCU stall).*$`)

// boot starts a VM whose console goes to the test log on failure.
func boot(t testing.TB, c qemu.Config) *qemu.VM {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), "console.log"))
	if err != nil {
		t.Fatal(err)
	}
	c.Log = logf
	// QEMU lives until the test ends, or is killed a minute before the
	// test binary's deadline so the test can still report: a power-cut
	// draw keeps one machine for over an hour (a fixed 20 minutes once
	// killed it mid-draw, "qemu: exited: signal: killed").
	deadline := time.Now().Add(20 * time.Minute)
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			deadline = dl.Add(-time.Minute)
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	vm, err := qemu.Start(ctx, c)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		vm.Kill()
		cancel()
		if t.Failed() {
			if oops := kernelOops.FindAllString(vm.Console.String(), 5); len(oops) > 0 {
				t.Logf("kernel trouble on the console:\n%s", strings.Join(oops, "\n"))
			}
			t.Logf("console (last 40 lines):\n%s", vm.Console.Tail(40))
			keepConsole(t, vm)
		}
	})
	return vm
}
