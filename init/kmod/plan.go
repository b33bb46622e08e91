package kmod

import (
	"fmt"
	"strings"
)

// Step is one module file to insert.
type Step struct {
	Name     string
	File     string // relative to the modules directory
	Optional bool   // a soft dependency, or needed only by one: failure is not fatal
}

// Plan returns the modules to insert, in order, so that name is loaded:
// soft pre-dependencies, hard dependencies (deepest first), the module,
// soft post-dependencies. Built-in modules and those in loaded are left
// out. Soft dependencies may name aliases ("crc32c"), which are resolved
// through modules.alias; one that resolves to nothing is skipped.
func (ix *Index) Plan(name string, loaded map[string]bool) ([]Step, error) {
	p := &planner{ix: ix, loaded: loaded, seen: map[string]bool{}}
	if err := p.visit(name, false); err != nil {
		return nil, err
	}
	return p.steps, nil
}

type planner struct {
	ix     *Index
	loaded map[string]bool
	seen   map[string]bool // planned or being planned: breaks softdep cycles
	steps  []Step
}

// visit plans a module or alias name.
func (p *planner) visit(s string, optional bool) error {
	names := p.ix.resolve(s)
	if len(names) == 0 {
		if optional {
			return nil
		}
		return fmt.Errorf("%w: %s", ErrNotFound, s)
	}
	for _, n := range names {
		if err := p.module(n, optional); err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) module(n string, optional bool) error {
	if p.seen[n] || p.loaded[n] || p.ix.Builtin[n] {
		return nil
	}
	m, ok := p.ix.Modules[n]
	switch {
	case !ok && optional:
		return nil
	case !ok:
		return fmt.Errorf("%w: %s", ErrNotFound, n)
	}
	p.seen[n] = true
	sd := p.ix.Softdep[n]
	for _, s := range sd.Pre {
		_ = p.visit(s, true) // optional visits never fail
	}
	for i := len(m.Deps) - 1; i >= 0; i-- {
		if err := p.visit(m.Deps[i], optional); err != nil {
			return fmt.Errorf("%s needs %w", n, err)
		}
	}
	p.steps = append(p.steps, Step{Name: n, File: m.File, Optional: optional})
	for _, s := range sd.Post {
		_ = p.visit(s, true)
	}
	return nil
}

// resolve maps a module name or an exact alias to module names.
func (ix *Index) resolve(s string) []string {
	n := strings.ReplaceAll(s, "-", "_")
	if _, ok := ix.Modules[n]; ok || ix.Builtin[n] {
		return []string{n}
	}
	if a, ok := ix.Alias[s]; ok {
		return a
	}
	return ix.Alias[n]
}
