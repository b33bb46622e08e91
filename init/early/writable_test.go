package early

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/internal/contract"
)

func TestWritableLayout(t *testing.T) {
	got := writableLayout("/sysroot", "/sysroot/state")
	want := writable{
		dirs: []dir{
			{"/sysroot/state/overlay/etc/upper", 0o755},
			{"/sysroot/state/overlay/etc/work", 0o755},
			{"/sysroot/state/var", 0o755},
			{"/sysroot/state/home", 0o755},
			{"/sysroot/state/opt", 0o755},
			{"/sysroot/state/root", 0o700},
		},
		links: []link{
			{"/sysroot/state/var/run", "/run"},
			{"/sysroot/state/var/lock", "/run/lock"},
		},
		mounts: []mount{
			{"tmpfs", "/sysroot/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
			{"tmpfs", "/sysroot/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
			{"overlay", "/sysroot/etc", "overlay", 0,
				"lowerdir=/sysroot/etc,upperdir=/sysroot/state/overlay/etc/upper,workdir=/sysroot/state/overlay/etc/work"},
			{"/sysroot/state/var", "/sysroot/var", "", unix.MS_BIND, ""},
			{"/sysroot/state/home", "/sysroot/home", "", unix.MS_BIND, ""},
			{"/sysroot/state/opt", "/sysroot/opt", "", unix.MS_BIND, ""},
			{"/sysroot/state/root", "/sysroot/root", "", unix.MS_BIND, ""},
		},
		after: []dir{
			{"/sysroot/run/ros", 0o755},
			{"/sysroot/run/lock", 0o777 | os.ModeSticky},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("layout:\n got %+v\nwant %+v", got, want)
	}
}

func TestWritableMountOrder(t *testing.T) {
	w := writableLayout("/sysroot", "/sysroot/state")
	mounted := map[string]bool{}
	for _, m := range w.mounts {
		// Nothing is mounted under a place mounted later: that would hide it.
		for prev := range mounted {
			if strings.HasPrefix(prev, m.target+"/") {
				t.Errorf("%s is mounted after %s, hiding it", m.target, prev)
			}
		}
		mounted[m.target] = true
	}
}

func TestWritableApply(t *testing.T) {
	root := t.TempDir()
	state := filepath.Join(root, "state")
	for _, d := range []string{"run", "tmp", "etc", "var", "home", "opt", "root", "state/var"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// An existing STATE keeps what it has.
	if err := os.Symlink("/elsewhere", filepath.Join(state, "var/lock")); err != nil {
		t.Fatal(err)
	}
	var mounted []string
	w := writableLayout(root, state)
	if err := w.apply(func(m mount) error { mounted = append(mounted, m.target); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(mounted) != len(w.mounts) {
		t.Errorf("mounted %v", mounted)
	}
	for _, d := range append(w.dirs, w.after...) {
		fi, err := os.Stat(d.path)
		if err != nil {
			t.Error(err)
			continue
		}
		if d.path != filepath.Join(state, "var") && fi.Mode()&(os.ModePerm|os.ModeSticky) != d.mode {
			t.Errorf("%s has mode %v, want %v", d.path, fi.Mode(), d.mode)
		}
	}
	for link, want := range map[string]string{"var/run": "/run", "var/lock": "/elsewhere"} {
		if got, err := os.Readlink(filepath.Join(state, link)); err != nil || got != want {
			t.Errorf("%s -> %q (%v), want %q", link, got, err, want)
		}
	}
}

func TestWriteBootRecord(t *testing.T) {
	tests := []struct {
		name     string
		degraded *degraded
	}{
		{name: "state mounted"},
		{name: "state degraded", degraded: stateMissing()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			ms := []milestone{{"init", "2.41"}, {"state", "3.02"}}
			if err := writeBootRecord(root, ms, tt.degraded); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(root, contract.Milestones))
			if err != nil || string(got) != "init 2.41\nstate 3.02\n" {
				t.Errorf("milestones = %q (%v)", got, err)
			}
			marker, err := os.ReadFile(filepath.Join(root, contract.StateDegraded))
			switch {
			case tt.degraded == nil && err == nil:
				t.Errorf("marker written: %q", marker)
			case tt.degraded != nil && string(marker) != tt.degraded.marker():
				t.Errorf("marker = %q (%v), want %q", marker, err, tt.degraded.marker())
			}
		})
	}
}
