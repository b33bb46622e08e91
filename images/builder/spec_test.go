package builder

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const minimalSpec = "name: ros\narchitecture: amd64\nkernel: {package: linux-image-amd64}\npackages: [{name: busybox-static, files: [bin/busybox]}]\n"

func TestSpecSuite(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // components; nil: a bad spec
		says       string
	}{
		{"components default to main", "suite: trixie\n", []string{"main"}, ""},
		{"components given", "suite: trixie\ncomponents: [main, non-free-firmware]\n", []string{"main", "non-free-firmware"}, ""},
		{"no suite", "", nil, `suite "": want a Debian release such as trixie`},
		{"suite with a space", "suite: trixie main\n", nil, `suite "trixie main"`},
		{"bad component", "suite: trixie\ncomponents: [\"main]\"]\n", nil, `component "main]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "os.yaml")
			if err := os.WriteFile(path, []byte(minimalSpec+tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := LoadSpec(path)
			if tt.want == nil {
				if !errors.Is(err, ErrBadSpec) || !strings.Contains(err.Error(), tt.says) {
					t.Fatalf("got %v, want ErrBadSpec saying %s", err, tt.says)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Components, tt.want) {
				t.Fatalf("components %v, want %v", s.Components, tt.want)
			}
		})
	}
}
