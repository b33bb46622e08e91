package depcheck

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// The builds whose imports count: the ros binary and its initramfs build.
// Tests may import more (internal/testimage pulls in the image builder).
var builds = []string{"", "initramfs"}

// rules say which packages must never depend on which, directly or through
// other packages. Patterns are paths in the module: "init/..." is init and
// every package under it, "upgrader" is that package alone.
var rules = []rule{{
	why:    "internal/ holds leaves: shared plumbing below PID 1, the write paths and the CLI",
	who:    []string{"internal/..."},
	except: []string{"internal/cli"},
	never:  []string{"init/...", "installer/...", "upgrader/...", "internal/cli"},
}, {
	why:   "the CLI talks to PID 1 through files and sockets, never by linking it",
	who:   []string{"internal/cli"},
	never: []string{"init/..."},
}, {
	why:   "PID 1 reads the slot state but does not carry the upgrade write path, the installer or images/",
	who:   []string{"init/..."},
	never: []string{"upgrader", "installer/...", "images/..."},
}, {
	why:   "the installer and the upgrader run on the machine; the image builder runs at build time",
	who:   []string{"installer/...", "upgrader/..."},
	never: []string{"images/builder/..."},
}, {
	why:    "only the binary dispatches to the CLI",
	who:    []string{"..."},
	except: []string{"cmd/ros", "test/...", "internal/cli"},
	never:  []string{"internal/cli"},
}, {
	why:    "only the binary starts PID 1",
	who:    []string{"..."},
	except: []string{"cmd/ros", "test/...", "init/..."},
	never:  []string{"init/..."},
}, {
	why:    "the image builder is build-time code: nothing at run time links it",
	who:    []string{"..."},
	except: []string{"images/builder/...", "images/iso/...", "images/mkimage/...", "internal/testimage", "test/...", "hack/..."},
	never:  []string{"images/builder/...", "images/iso/...", "images/mkimage/..."},
}}

// layers is the order of the top-level concepts, from the bottom: a package
// imports only from its own concept and from lower layers. Build-time and
// test-only code sits outside the order.
var (
	layers = [][]string{
		{"internal/..."},
		{"partitions/..."},
		{"bootloader/..."},
		{"images/chunked/..."},
		{"images/artifact/...", "images/signature/..."},
		{"images/trust/..."},
		{"upgrader/slotstate/..."},
		{"upgrader/...", "installer/..."},
		{"init/..."},
		{"internal/cli/..."},
		{"cmd/ros/..."},
	}
	unordered = []string{"images/builder/...", "images/iso/...", "images/mkimage/...", "internal/testimage", "test/...", "hack/..."}
)

var loaded = sync.OnceValues(func() (*Graph, error) { return Load("../..", builds...) })

func graph(t *testing.T) *Graph {
	t.Helper()
	g, err := loaded()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

type rule struct {
	why         string
	who, except []string
	never       []string
}

func TestRules(t *testing.T) {
	g := graph(t)
	for _, r := range rules {
		t.Run(r.why, func(t *testing.T) {
			for _, v := range r.broken(g) {
				t.Error(v)
			}
		})
	}
}

func TestLayers(t *testing.T) {
	for _, v := range layersBroken(graph(t)) {
		t.Error(v)
	}
}

// TestBroken checks that the rules and the layer order catch what they are
// written for, on a made-up graph.
func TestBroken(t *testing.T) {
	g := &Graph{Module: "m", imports: map[string][]string{
		"m/cmd/ros":            {"m/init", "m/internal/cli"},
		"m/init":               {"m/internal/config", "m/upgrader", "m/upgrader/slotstate"},
		"m/init/early":         {"m/partitions", "m/installer"},
		"m/internal/config":    {"m/internal/helper"},
		"m/internal/helper":    {"m/init/early"},
		"m/internal/cli":       {"m/installer", "m/upgrader"},
		"m/installer":          {"m/images/builder", "m/partitions"},
		"m/images/builder":     nil,
		"m/partitions":         {"m/bootloader"},
		"m/bootloader":         {"m/images/artifact"},
		"m/images/artifact":    nil,
		"m/upgrader":           {"m/upgrader/slotstate", "m/installer"},
		"m/upgrader/slotstate": nil,
		"m/newthing":           nil,
	}}
	var got []string
	for _, r := range rules {
		got = append(got, r.broken(g)...)
	}
	got = append(got, layersBroken(g)...)
	want := []string{
		"internal/helper imports init/early (internal/ holds leaves: shared plumbing below PID 1, the write paths and the CLI)",
		"init imports upgrader (PID 1 reads the slot state but does not carry the upgrade write path, the installer or images/)",
		"init/early imports installer (PID 1 reads the slot state but does not carry the upgrade write path, the installer or images/)",
		"bootloader imports images/artifact (PID 1 reads the slot state but does not carry the upgrade write path, the installer or images/), reached as init/early → partitions → bootloader → images/artifact",
		"installer imports images/builder (the installer and the upgrader run on the machine; the image builder runs at build time)",
		"internal/helper imports init/early (only the binary starts PID 1)",
		"installer imports images/builder (the image builder is build-time code: nothing at run time links it)",
		"bootloader imports images/artifact: images/artifact/... is not below bootloader/... in the layer order",
		"internal/helper imports init/early: init/... is not below internal/... in the layer order",
		"newthing has no place in the layer order: add it to layers (or unordered) in internal/depcheck/depcheck_test.go",
		"partitions imports bootloader: bootloader/... is not below partitions/... in the layer order",
		"upgrader imports installer: installer/... is not below upgrader/... in the layer order",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("broken:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// broken returns a line for each import that breaks r, with the shortest
// chain that reaches it from a package in r.who.
func (r rule) broken(g *Graph) []string {
	var edges []string
	chains := map[string][]string{}
	for _, pkg := range g.Packages() {
		rel := g.Rel(pkg)
		if !matchAny(r.who, rel) || matchAny(r.except, rel) {
			continue
		}
		for _, chain := range g.Chains(pkg, func(dep string) bool { return matchAny(r.never, g.Rel(dep)) }) {
			edge := g.Rel(chain[len(chain)-2]) + " imports " + g.Rel(chain[len(chain)-1])
			if old, ok := chains[edge]; !ok {
				edges = append(edges, edge)
			} else if len(old) <= len(chain) {
				continue
			}
			chains[edge] = chain
		}
	}
	var out []string
	for _, edge := range edges {
		line := fmt.Sprintf("%s (%s)", edge, r.why)
		if c := chains[edge]; len(c) > 2 {
			line += ", reached as " + g.rels(c)
		}
		out = append(out, line)
	}
	return out
}

// layersBroken returns a line for each import that goes up or sideways in
// layers, and for each package that has no layer.
func layersBroken(g *Graph) []string {
	var out []string
	for _, pkg := range g.Packages() {
		rel := g.Rel(pkg)
		if matchAny(unordered, rel) {
			continue
		}
		layer, concept := layerOf(rel)
		if layer < 0 {
			out = append(out, rel+" has no place in the layer order: add it to layers (or unordered) in internal/depcheck/depcheck_test.go")
			continue
		}
		for _, imp := range g.Imports(pkg) {
			dep := g.Rel(imp)
			if matchAny(unordered, dep) {
				continue // the rule on the image builder covers it
			}
			depLayer, depConcept := layerOf(dep)
			if depLayer < layer || depConcept == concept {
				continue
			}
			out = append(out, fmt.Sprintf("%s imports %s: %s is not below %s in the layer order", rel, dep, depConcept, concept))
		}
	}
	return out
}

// layerOf returns the layer of the package at rel and the most specific
// pattern that places it there, or -1.
func layerOf(rel string) (layer int, concept string) {
	layer = -1
	for i, patterns := range layers {
		for _, p := range patterns {
			if match(p, rel) && len(p) > len(concept) {
				layer, concept = i, p
			}
		}
	}
	return layer, concept
}

func matchAny(patterns []string, rel string) bool {
	for _, p := range patterns {
		if match(p, rel) {
			return true
		}
	}
	return false
}

// match reports whether the package at rel, its path in the module, is
// pattern: "x/..." matches x and the packages under it, "..." all.
func match(pattern, rel string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return rel == base || strings.HasPrefix(rel, base+"/")
	}
	return rel == pattern
}

func (g *Graph) rels(chain []string) string {
	rel := make([]string, len(chain))
	for i, p := range chain {
		rel[i] = g.Rel(p)
	}
	return strings.Join(rel, " → ")
}

func TestChains(t *testing.T) {
	g := &Graph{Module: "m", imports: map[string][]string{
		"m/a": {"m/b", "m/c"},
		"m/b": {"m/d"},
		"m/c": {"m/b", "m/x"},
		"m/d": {"m/x", "m/y"},
		"m/x": {"m/y"},
	}}
	banned := func(p string) bool { return p == "m/x" || p == "m/y" }
	got := fmt.Sprint(g.Chains("m/a", banned))
	if want := "[[m/a m/c m/x] [m/a m/b m/d m/y]]"; got != want {
		t.Errorf("Chains = %s, want %s", got, want)
	}
	if got := g.Chains("m/y", banned); got != nil {
		t.Errorf("Chains(m/y) = %v, want none: m/y itself does not count", got)
	}
}
