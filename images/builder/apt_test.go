package builder

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fakeApt answers apt-cache like apt does for a tiny archive, and fails
// apt-get download when offline is set.
func fakeApt(t *testing.T, offline bool) *Apt {
	known := map[string]string{"busybox-static": "1:1.35.0-4", "libc6": "2.36-9"}
	run := func(name string, args ...string) ([]byte, error) {
		switch {
		case name == "apt-cache" && args[0] == "show":
			var out strings.Builder
			for _, p := range args[2:] {
				v, ok := known[p]
				if !ok {
					return nil, fmt.Errorf("apt-cache: E: No packages found")
				}
				fmt.Fprintf(&out, "Package: %s\nVersion: %s\nArchitecture: amd64\n\n", p, v)
			}
			return []byte(out.String()), nil
		case name == "apt-cache" && args[0] == "depends":
			return []byte(strings.Join(args[len(args)-1:], "\n") + "\n  Depends: libc6\nlibc6\n"), nil
		}
		return nil, fmt.Errorf("unexpected %s %v", name, args)
	}
	runIn := func(dir, name string, args ...string) ([]byte, error) {
		if offline {
			return nil, errors.New("apt-get download: E: Failed to fetch: Temporary failure resolving")
		}
		return nil, nil
	}
	return &Apt{Cache: t.TempDir(), Run: run, RunIn: runIn}
}

func TestAptErrors(t *testing.T) {
	tests := []struct {
		name    string
		offline bool
		pkgs    []string
		want    error
	}{
		{"unknown package", false, []string{"busybox-static", "no-such-package"}, ErrNoPackage},
		{"apt unreachable", true, []string{"busybox-static"}, ErrAptUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fakeApt(t, tt.offline)
			debs, err := a.Versions(tt.pkgs)
			if err == nil {
				_, err = a.Fetch(debs)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestVersionsFileNameEscapesEpoch(t *testing.T) {
	debs, err := fakeApt(t, false).Versions([]string{"busybox-static"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "busybox-static_1%3a1.35.0-4_amd64.deb"; debs[0].File != want {
		t.Fatalf("File = %q, want %q", debs[0].File, want)
	}
}
