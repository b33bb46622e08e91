package config

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// keyPath is where a value is in a document: mapping keys and, for list
// entries, the index as a decimal string.
type keyPath []string

// at extends p by elems, copying so that p can be reused.
func (p keyPath) at(elems ...string) keyPath {
	return append(append(keyPath(nil), p...), elems...)
}

// idx is a list index as a path element.
func idx(i int) string { return strconv.Itoa(i) }

// lineOf is the line of the value at p in doc: of its key for a mapping
// entry, of the entry for a list. If p is not all there (a merge key, or a
// missing field), it is the line of the deepest part found; 0 without doc.
func lineOf(doc *yaml.Node, p keyPath) int {
	if doc == nil || len(doc.Content) == 0 {
		return 0
	}
	n, line := doc.Content[0], doc.Content[0].Line
	for _, elem := range p {
		k, v := child(n, elem)
		if v == nil {
			break
		}
		n, line = v, k.Line
	}
	return line
}

// child is the entry elem of a mapping (key and value) or a list (the entry
// twice), following aliases.
func child(n *yaml.Node, elem string) (k, v *yaml.Node) {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		return lookup(n, elem)
	case yaml.SequenceNode:
		i, err := strconv.Atoi(elem)
		if err != nil || i < 0 || i >= len(n.Content) {
			return nil, nil
		}
		return n.Content[i], n.Content[i]
	}
	return nil, nil
}

// lookup finds key in a mapping node, among its own keys and then those of
// its merge keys (<<).
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = deref(m)
	if m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && !isMergeKey(m.Content[i]) {
			return m.Content[i], m.Content[i+1]
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if isMergeKey(m.Content[i]) {
			if k, v := lookupMerged(m.Content[i+1], key); v != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

// lookupMerged finds key in the value of a merge key: a mapping or a list
// of mappings, the first one holding key winning.
func lookupMerged(v *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	v = deref(v)
	if v.Kind != yaml.SequenceNode {
		return lookup(v, key)
	}
	for _, m := range v.Content {
		if k, v := lookup(m, key); v != nil {
			return k, v
		}
	}
	return nil, nil
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// maxNodes bounds what resolve copies, against documents whose aliases
// expand exponentially ("billion laughs").
const maxNodes = 1 << 20

var errTooBig = errors.New("the document expands to too many nodes (aliases of aliases?)")

// resolve returns a deep copy of n with aliases replaced by copies of what
// they point to, merge keys (<<) expanded into the mapping and anchors
// dropped, so the tree can be changed in place and merged. Comments stay.
func resolve(n *yaml.Node) (*yaml.Node, error) {
	budget := maxNodes
	return resolveNode(n, &budget)
}

func resolveNode(n *yaml.Node, budget *int) (*yaml.Node, error) {
	if *budget--; *budget < 0 {
		return nil, errTooBig
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return resolveNode(n.Alias, budget)
	}
	c := *n
	c.Anchor, c.Alias, c.Content = "", nil, nil
	if n.Kind == yaml.MappingNode {
		return resolveMapping(n, &c, budget)
	}
	for _, e := range n.Content {
		r, err := resolveNode(e, budget)
		if err != nil {
			return nil, err
		}
		c.Content = append(c.Content, r)
	}
	return &c, nil
}

// resolveMapping copies the entries of mapping n into c, then the entries
// of its merge keys that c does not have.
func resolveMapping(n, c *yaml.Node, budget *int) (*yaml.Node, error) {
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			merged = append(merged, mergeSources(n.Content[i+1])...)
			continue
		}
		if err := appendResolved(c, n.Content[i], n.Content[i+1], budget); err != nil {
			return nil, err
		}
	}
	for _, m := range merged {
		r, err := resolveNode(m, budget)
		if err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(r.Content); i += 2 {
			if k, _ := lookup(c, r.Content[i].Value); k == nil {
				c.Content = append(c.Content, r.Content[i], r.Content[i+1])
			}
		}
	}
	return c, nil
}

// mergeSources are the mappings of a merge key's value, in order of
// precedence.
func mergeSources(v *yaml.Node) []*yaml.Node {
	v = deref(v)
	list := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		list = v.Content
	}
	var out []*yaml.Node
	for _, m := range list {
		if m = deref(m); m.Kind == yaml.MappingNode {
			out = append(out, m)
		}
	}
	return out
}

func appendResolved(m, k, v *yaml.Node, budget *int) error {
	rk, err := resolveNode(k, budget)
	if err != nil {
		return err
	}
	rv, err := resolveNode(v, budget)
	if err != nil {
		return err
	}
	m.Content = append(m.Content, rk, rv)
	return nil
}

// encode writes v (a value or a *yaml.Node) as YAML with two-space
// indentation.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding YAML: %w", err)
	}
	return b.Bytes(), nil
}
