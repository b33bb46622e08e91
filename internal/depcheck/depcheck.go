// Package depcheck reads the module's import graph for tests that say what
// a package may never import. A broken rule names the chain of imports that
// breaks it, from the importer down to the package it must not reach.
//
// Its own tests hold the rules of ros's layering (depcheck_test.go) and
// check that every Go file is gofmt'd with its imports grouped
// (format_test.go).
package depcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
)

// Graph is the import graph of the module's packages, without their tests:
// what the binaries link.
type Graph struct {
	Module  string              // the module path, e.g. github.com/ros-os/ros
	imports map[string][]string // the module packages each module package imports
}

// Load lists the packages in dir's module with `go list`, once for each
// set of build tags (comma-separated, "" for none), and joins the graphs:
// an import counts if any build has it.
func Load(dir string, tags ...string) (*Graph, error) {
	g := &Graph{imports: map[string][]string{}}
	if len(tags) == 0 {
		tags = []string{""}
	}
	for _, t := range tags {
		cmd := exec.Command("go", "list", "-e", "-tags", t, "-json=ImportPath,Imports,Module,Error", "./...")
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("listing packages with tags %q: %w: %s", t, err, stderr.Bytes())
		}
		if err := g.add(bytes.NewReader(out)); err != nil {
			return nil, fmt.Errorf("reading go list with tags %q: %w", t, err)
		}
	}
	return g, nil
}

// listed is what Load reads of each package `go list -json` prints.
type listed struct {
	ImportPath string
	Imports    []string
	Module     *struct {
		Path string
		Main bool
	}
	Error *struct{ Err string }
}

func (g *Graph) add(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		g.Module = p.Module.Path
		if p.Error != nil && !strings.Contains(p.Error.Err, "build constraints exclude all Go files") {
			return fmt.Errorf("package %s: %s", p.ImportPath, p.Error.Err)
		}
		imports := g.imports[p.ImportPath]
		for _, imp := range p.Imports {
			if g.inModule(imp) && !slices.Contains(imports, imp) {
				imports = append(imports, imp)
			}
		}
		slices.Sort(imports)
		g.imports[p.ImportPath] = imports
	}
}

func (g *Graph) inModule(path string) bool {
	return path == g.Module || strings.HasPrefix(path, g.Module+"/")
}

// Rel returns pkg's path in the module: "init" for github.com/ros-os/ros/init.
func (g *Graph) Rel(pkg string) string {
	return strings.TrimPrefix(strings.TrimPrefix(pkg, g.Module), "/")
}

// Packages returns the import paths of the module's packages, sorted.
func (g *Graph) Packages() []string {
	var pkgs []string
	for p := range g.imports {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	return pkgs
}

// Imports returns the module packages that pkg imports directly.
func (g *Graph) Imports(pkg string) []string { return g.imports[pkg] }

// Chains returns a shortest chain of imports from pkg to each package for
// which banned is true, pkg first in each. It does not look further into a
// banned package. pkg itself does not count.
func (g *Graph) Chains(pkg string, banned func(string) bool) [][]string {
	var chains [][]string
	from := map[string]string{pkg: ""}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range g.imports[p] {
			if _, seen := from[imp]; seen {
				continue
			}
			from[imp] = p
			if !banned(imp) {
				queue = append(queue, imp)
				continue
			}
			chain := []string{imp}
			for q := p; q != ""; q = from[q] {
				chain = append(chain, q)
			}
			slices.Reverse(chain)
			chains = append(chains, chain)
		}
	}
	return chains
}
