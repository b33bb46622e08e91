package config

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// How documents merge, the later one over the earlier (Load, MergeDoc):
//   - mappings merge key by key, recursively;
//   - scalars and lists replace, except the top-level lists of concatKeys,
//     which are concatenated in order (an SSH key already there is skipped);
//   - a service of ros.services and an interface of ros.network.interfaces
//     replace the one of the same name as a whole, as services.Merge does
//     (an interface merged field by field could end up with both dhcp and
//     an address);
//   - a null value (a key with nothing after the colon) is not set, as in
//     Parse, so it changes nothing.
//
// The merge is done on the YAML trees, not on Config: scalars keep their
// text (0644 stays 0644) and the result is decoded strictly at the end.

// concatKeys are the top-level lists that concatenate.
var concatKeys = map[string]bool{
	"ssh_authorized_keys": true, "write_files": true, "bootcmd": true, "runcmd": true, "mounts": true,
}

// wholeMaps are the maps whose entries replace rather than merge.
var wholeMaps = []keyPath{{"ros", "services"}, {"ros", "network", "interfaces"}}

// replacesWhole tells whether the mapping at p replaces rather than merges.
func replacesWhole(p keyPath) bool {
	for _, m := range wholeMaps {
		if len(p) == len(m)+1 && equal(p[:len(m)], m) {
			return true
		}
	}
	return false
}

func equal(a, b keyPath) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Load parses every source and merges them in order, the later over the
// earlier (see above). Errors of all sources are reported, joined by "; ".
// No source, or only empty ones, give the zero Config.
func Load(srcs ...Source) (Config, error) {
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	var msgs []string
	for _, src := range srcs {
		if err := loadInto(root, src); err != nil {
			msgs = append(msgs, messages(err)...)
		}
	}
	if len(msgs) > 0 {
		return Config{}, invalid(msgs...)
	}
	data, err := encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}})
	if err != nil {
		return Config{}, fmt.Errorf("merging the cloud-config documents: %w", err)
	}
	c, err := Parse(Source{Name: "merged cloud-config", Data: data})
	if err != nil {
		return Config{}, fmt.Errorf("merging the cloud-config documents: %w", err)
	}
	return c, nil
}

// loadInto parses src and merges it into root.
func loadInto(root *yaml.Node, src Source) error {
	_, doc, err := parse(src)
	if err != nil || doc == nil {
		return err
	}
	r, err := resolve(doc.Content[0])
	if err != nil {
		return invalid(fmt.Sprintf("%s: %v", src.Name, err))
	}
	dropComments(r)
	return mergeInto(root, r, nil)
}

// messages are the lines of an error of Parse.
func messages(err error) []string {
	var ie *invalidError
	if errors.As(err, &ie) {
		return ie.msgs
	}
	return []string{err.Error()}
}

// dropComments removes the comments of a tree that is only merged, not
// kept, so that yaml.v3 has no comments to place.
func dropComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		dropComments(c)
	}
}

// mergeInto merges mapping src into mapping dst, which is at p in the
// document. src must be resolved (no aliases); dst is changed in place,
// copying what aliases or merge keys share before changing it.
func mergeInto(dst, src *yaml.Node, p keyPath) error {
	if src.Kind != yaml.MappingNode {
		return nil // an empty document or null: nothing set
	}
	for i := 0; i+1 < len(src.Content); i += 2 {
		k, v := src.Content[i], src.Content[i+1]
		if isNull(v) {
			continue
		}
		if err := mergeEntry(dst, k, v, p.at(k.Value)); err != nil {
			return err
		}
	}
	return nil
}

// mergeEntry merges the entry k: v of the later document into dst.
func mergeEntry(dst, k, v *yaml.Node, p keyPath) error {
	old, err := ownValue(dst, k.Value)
	if err != nil {
		return err
	}
	concat := len(p) == 1 && concatKeys[p[0]]
	switch {
	case concat && v.Kind == yaml.SequenceNode && (old == nil || isNull(old)):
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: v.Style}
		appendEntries(seq, v, p[0])
		if old == nil {
			dst.Content = append(dst.Content, k, seq)
		} else {
			replaceValue(dst, k.Value, seq)
		}
	case old == nil:
		dst.Content = append(dst.Content, k, v)
	case concat && old.Kind == yaml.SequenceNode && v.Kind == yaml.SequenceNode:
		appendEntries(old, v, p[0])
	case old.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode && !replacesWhole(p):
		return mergeInto(old, v, p)
	default:
		replaceValue(dst, k.Value, v)
	}
	return nil
}

// appendEntries appends the entries of list src to list dst; for SSH keys,
// only those that dst does not hold yet.
func appendEntries(dst, src *yaml.Node, key string) {
	seen := map[string]bool{}
	if key == "ssh_authorized_keys" {
		for _, e := range dst.Content {
			seen[sshKeyID(deref(e).Value)] = true
		}
	}
	for _, e := range src.Content {
		if key == "ssh_authorized_keys" {
			id := sshKeyID(e.Value)
			if seen[id] {
				continue
			}
			seen[id] = true
		}
		dst.Content = append(dst.Content, e)
	}
}

// ownValue is the value of key in mapping m, ready to be changed in place:
// an alias is replaced by a copy of what it points to, and a value that
// comes from a merge key (<<) is copied into m. nil if m has no key.
func ownValue(m *yaml.Node, key string) (*yaml.Node, error) {
	if i := keyIndex(m, key); i >= 0 {
		v := m.Content[i+1]
		if v.Kind == yaml.AliasNode {
			r, err := resolve(v)
			if err != nil {
				return nil, err
			}
			m.Content[i+1] = r
			v = r
		}
		return v, nil
	}
	k, v := lookup(m, key)
	if v == nil {
		return nil, nil
	}
	rk, err := resolve(k)
	if err != nil {
		return nil, err
	}
	rv, err := resolve(v)
	if err != nil {
		return nil, err
	}
	m.Content = append(m.Content, rk, rv)
	return rv, nil
}

// keyIndex is the index in m.Content of m's own key, or -1.
func keyIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && !isMergeKey(m.Content[i]) {
			return i
		}
	}
	return -1
}

// replaceValue sets the value of key in m to v, which must be there,
// keeping the comments of the old value if v has none.
func replaceValue(m *yaml.Node, key string, v *yaml.Node) {
	i := keyIndex(m, key)
	old := m.Content[i+1]
	if v.HeadComment == "" && v.LineComment == "" && v.FootComment == "" {
		v.HeadComment, v.LineComment, v.FootComment = old.HeadComment, old.LineComment, old.FootComment
	}
	m.Content[i+1] = v
}

// MergeDoc is ros config merge: the persistent document doc with extra
// merged over it, by the rules of Load. extra must be valid on its own
// (errors name it "input"); the result must be valid too. The comments and
// order of doc are kept; those of extra may be lost.
func MergeDoc(doc, extra []byte) ([]byte, error) {
	_, x, err := parse(Source{Name: "input", Data: extra})
	if err != nil {
		return nil, err
	}
	e, err := openDoc(doc)
	if err != nil {
		return nil, err
	}
	if x != nil {
		r, err := resolve(x.Content[0])
		if err != nil {
			return nil, invalid(fmt.Sprintf("input: %v", err))
		}
		dropComments(r) // its #cloud-config line would land mid-document
		if err := mergeInto(e.root(), r, nil); err != nil {
			return nil, fmt.Errorf("merging input: %w", err)
		}
	}
	out, err := e.render()
	if err != nil {
		return nil, fmt.Errorf("merging input: %w", err)
	}
	return out, nil
}
