package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input fails before any work with one line that says what to do, and
// leaves no output behind.
func TestBuildBadInput(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	badSpec := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badSpec, []byte("name: ros\nkernal: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, _ := filepath.Abs("../os.yaml")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad version", []string{"--version", "latest", "--spec", spec}, `VERSION "latest" is not a semantic version: use one like 1.2.3`},
		{"version with two dots", []string{"--version", "1..2", "--spec", spec}, "is not a semantic version"},
		{"unknown key in spec", []string{"--version", "1.0.0", "--spec", badSpec}, "field kernal not found"},
		{"missing spec", []string{"--version", "1.0.0", "--spec", filepath.Join(dir, "nope.yaml")}, "reading image definition"},
		{"unwritable out", []string{"--version", "1.0.0", "--spec", spec, "--out", filepath.Join(notDir, "os"), "--ros", notDir, "--init", notDir},
			"choose a writable --out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mkimage(t, append([]string{"build", "--oci", filepath.Join(dir, "oci")}, tt.args...)...)
			if err == nil {
				t.Fatal("build succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: want one line containing %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "oci")); err == nil {
				t.Fatal("a failed build left an OCI layout behind")
			}
		})
	}
}

// A mirror given by hand (--mirror, else ROS_APT_MIRROR) is checked before
// apt runs, in one line that names it.
func TestBuildBadMirror(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "file")
	if err := os.WriteFile(bin, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	spec, _ := filepath.Abs("../os.yaml")
	tests := []struct {
		name, flag, env, want string
	}{
		{"flag", "deb.debian.org/debian", "", `"deb.debian.org/debian" is not a URI`},
		{"environment", "", "http://x/debian main", `"http://x/debian main" is not a URI`},
		{"flag wins", "ftp//x", "http://deb.debian.org/debian", `"ftp//x" is not a URI`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ROS_APT_MIRROR", tt.env)
			args := []string{"build", "--version", "1.0.0", "--spec", spec, "--ros", bin, "--init", bin,
				"--cache", filepath.Join(dir, "cache"), "--out", filepath.Join(dir, "os"), "--oci", filepath.Join(dir, "oci")}
			if tt.flag != "" {
				args = append(args, "--mirror", tt.flag)
			}
			_, err := mkimage(t, args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v: want one line containing %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "os")); err == nil {
				t.Fatal("a failed build left its output behind")
			}
		})
	}
}
