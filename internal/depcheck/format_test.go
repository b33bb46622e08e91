package depcheck

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFormat checks every Go file of the module: gofmt'd, and its imports
// in groups, standard library first, then other modules, then this module,
// one group of each kind at most, with blank lines between them. That is
// what `goimports -local github.com/ros-os/ros` writes.
func TestFormat(t *testing.T) {
	module := graph(t).Module
	var bad []string
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../..", path)
		if d.IsDir() {
			if name := d.Name(); rel != "." && (name == "testdata" || name == "vendor" || rel == "build" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, problem := range checkFormat(rel, src, module) {
			bad = append(bad, rel+": "+problem)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("%d problems; fix them with `gofmt -w FILE` or `goimports -local %s -w FILE`:\n%s",
			len(bad), module, strings.Join(bad, "\n"))
	}
}

// checkFormat returns what is wrong with the layout of the Go file src.
func checkFormat(name string, src []byte, module string) []string {
	formatted, err := format.Source(src)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	if !bytes.Equal(formatted, src) {
		problems = append(problems, "not gofmt'd")
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return append(problems, err.Error())
	}
	return append(problems, checkGroups(fset, f, module)...)
}

// The kinds of imports, in the order their groups come.
const (
	std = iota
	thirdParty
	local
)

var kindNames = []string{"standard library", "third-party", "this module's"}

func kindOf(path, module string) int {
	switch {
	case path == module || strings.HasPrefix(path, module+"/"):
		return local
	case !strings.Contains(strings.Split(path, "/")[0], "."):
		return std
	}
	return thirdParty
}

// checkGroups checks the import groups of f: a group ends at a blank line
// or with its import declaration.
func checkGroups(fset *token.FileSet, f *ast.File, module string) []string {
	var problems []string
	last := -1   // the highest kind of the groups before
	prevEnd := 0 // the line where the previous import ends
	group := -1  // the kind of the group being read
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		prevEnd = 0
		for _, spec := range gd.Specs {
			is := spec.(*ast.ImportSpec)
			path := strings.Trim(is.Path.Value, `"`)
			kind := kindOf(path, module)
			start := is.Pos()
			if is.Doc != nil {
				start = is.Doc.Pos()
			}
			if prevEnd == 0 || fset.Position(start).Line > prevEnd+1 { // a new group
				last = max(last, group)
				group = kind
				switch {
				case kind == last:
					problems = append(problems, fmt.Sprintf("import %q starts a second group of %s imports", path, kindNames[kind]))
				case kind < last:
					problems = append(problems, fmt.Sprintf("import %q: %s imports come before %s imports", path, kindNames[kind], kindNames[last]))
				}
			} else if kind != group {
				problems = append(problems, fmt.Sprintf("import %q: %s import in a group of %s imports", path, kindNames[kind], kindNames[group]))
			}
			prevEnd = fset.Position(is.End()).Line
		}
	}
	return problems
}

func TestCheckFormat(t *testing.T) {
	for _, tc := range []struct {
		name, imports string
		want          []string
	}{
		{"grouped", "import (\n\t\"fmt\"\n\t\"os\"\n\n\t\"golang.org/x/sys/unix\"\n\n\t\"m/a\"\n)\n", nil},
		{"one import", "import \"m/a\"\n", nil},
		{"no third-party", "import (\n\t\"fmt\"\n\n\t// a is this module's.\n\t\"m/a\"\n)\n", nil},
		{"comment starts no group", "import (\n\t\"fmt\"\n\t// os is standard.\n\t\"os\"\n)\n", nil},
		{"mixed", "import (\n\t\"fmt\"\n\t\"m/a\"\n)\n",
			[]string{`import "m/a": this module's import in a group of standard library imports`}},
		{"std last", "import (\n\t\"m/a\"\n\n\t\"fmt\"\n)\n",
			[]string{`import "fmt": standard library imports come before this module's imports`}},
		{"third-party after local", "import (\n\t\"m/a\"\n\n\t\"fmt\"\n\n\t\"golang.org/x/sys/unix\"\n)\n",
			[]string{`import "fmt": standard library imports come before this module's imports`,
				`import "golang.org/x/sys/unix": third-party imports come before this module's imports`}},
		{"two groups", "import (\n\t\"golang.org/x/sys/unix\"\n\n\t\"gopkg.in/yaml.v3\"\n)\n",
			[]string{`import "gopkg.in/yaml.v3" starts a second group of third-party imports`}},
		{"two declarations", "import \"fmt\"\n\nimport \"os\"\n",
			[]string{`import "os" starts a second group of standard library imports`}},
		{"not gofmt'd", "import (\n  \"fmt\"\n)\n", []string{"not gofmt'd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "package p\n\n" + tc.imports
			got := checkFormat("p.go", []byte(src), "m")
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("checkFormat(%q) =\n%q\nwant\n%q", src, got, tc.want)
			}
		})
	}
}
