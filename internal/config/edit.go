package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ros-os/ros/internal/services"
)

// header is the first line of a cloud-config document.
const header = "#cloud-config\n"

// docName names the persistent document in errors of Set and MergeDoc.
const docName = "cloud-config"

// Get is ros config get: the value of key (see resolveKey) in c. A string
// or bool is given plainly ("web1", "true"), a list or map as YAML without
// the final newline; a valid key that is not set gives "".
func Get(c Config, key string) (string, error) {
	p, _, err := resolveKey(key)
	if err != nil {
		return "", err
	}
	return format(valueAt(reflect.ValueOf(c), p))
}

// valueAt is the value at p, a path that resolveKey checked, or the zero
// Value if a map has no such key.
func valueAt(v reflect.Value, p keyPath) reflect.Value {
	for _, elem := range p {
		switch v.Kind() {
		case reflect.Struct:
			f, _ := fieldByName(v.Type(), elem)
			v = v.FieldByIndex(f.Index)
		case reflect.Map:
			v = v.MapIndex(reflect.ValueOf(elem).Convert(v.Type().Key()))
			if !v.IsValid() {
				return v
			}
		}
	}
	return v
}

func format(v reflect.Value) (string, error) {
	switch {
	case !v.IsValid():
		return "", nil
	case v.Kind() == reflect.String:
		return v.String(), nil
	case v.Kind() == reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case (v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.Len() == 0, v.IsZero():
		return "", nil
	}
	b, err := encode(v.Interface())
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

// Set is ros config set: doc with key set to value, which is read as YAML
// (true, [a, b], {dhcp: true}, "0644"; a plain word is a string). For a
// list, a single value is a list of one. An empty or null value removes
// the key. Maps on the way are created; comments and order are kept. The
// result must be valid: the error says why not.
func Set(doc []byte, key, value string) ([]byte, error) {
	p, typ, err := resolveKey(key)
	if err != nil {
		return nil, err
	}
	v, err := parseValue(value, typ)
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", key, err)
	}
	e, err := openDoc(doc)
	if err != nil {
		return nil, err
	}
	if err := setAt(e.root(), p, v); err != nil {
		return nil, fmt.Errorf("setting %s: %w", key, err)
	}
	out, err := e.render()
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", key, err)
	}
	return out, nil
}

var commandType = reflect.TypeOf(services.Command{})

// parseValue reads a value given to Set for a field of type typ; nil
// means none (remove the key).
func parseValue(value string, typ reflect.Type) (*yaml.Node, error) {
	doc, err := parseNode(Source{Name: "value", Data: []byte(value)})
	if err != nil {
		return nil, err
	}
	if doc == nil || isNull(doc.Content[0]) {
		return nil, nil
	}
	v, err := resolve(doc.Content[0])
	if err != nil {
		return nil, err
	}
	if typ.Kind() == reflect.Slice && typ != commandType && v.Kind == yaml.ScalarNode {
		v = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{v}}
	}
	return v, nil
}

// setAt sets the value at p below mapping m to v, or removes it if v is
// nil, together with the maps that this leaves empty.
func setAt(m *yaml.Node, p keyPath, v *yaml.Node) error {
	if len(p) == 1 {
		return setKey(m, p[0], v)
	}
	child, err := ownValue(m, p[0])
	if err != nil {
		return err
	}
	switch {
	case v == nil && (child == nil || child.Kind != yaml.MappingNode):
		return nil // nothing to remove
	case child == nil:
		child = newMapping()
		m.Content = append(m.Content, keyNode(p[0]), child)
	case child.Kind != yaml.MappingNode:
		child = newMapping()
		replaceValue(m, p[0], child)
	}
	if err := setAt(child, p[1:], v); err != nil {
		return err
	}
	if v == nil && len(child.Content) == 0 {
		return setKey(m, p[0], nil)
	}
	return nil
}

// setKey sets key of mapping m to v, or removes it if v is nil (setting
// it to null if a merge key would give it a value).
func setKey(m *yaml.Node, key string, v *yaml.Node) error {
	i := keyIndex(m, key)
	switch {
	case v != nil && i >= 0:
		replaceValue(m, key, v)
	case v != nil:
		m.Content = append(m.Content, keyNode(key), v)
	case i >= 0:
		m.Content = append(m.Content[:i], m.Content[i+2:]...)
	}
	if _, merged := lookup(m, key); v == nil && merged != nil {
		m.Content = append(m.Content, keyNode(key), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"})
	}
	return nil
}

func newMapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func keyNode(key string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
}

// editDoc is the persistent document being changed by Set or MergeDoc.
type editDoc struct {
	orig []byte
	doc  *yaml.Node // a DocumentNode holding a mapping
	// blank is a document with no YAML content: empty or only comments,
	// which yaml.v3 does not keep, so its text is kept instead.
	blank bool
}

// openDoc reads the persistent document; it need not be valid, but must be
// YAML with a mapping (or nothing) at the top.
func openDoc(data []byte) (*editDoc, error) {
	doc, err := parseNode(Source{Name: docName, Data: data})
	if err != nil {
		return nil, err
	}
	if doc == nil {
		doc = &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{newMapping()}}
		return &editDoc{orig: data, doc: doc, blank: true}, nil
	}
	root := doc.Content[0]
	switch {
	case isNull(root):
		m := newMapping()
		m.HeadComment, m.LineComment, m.FootComment = root.HeadComment, root.LineComment, root.FootComment
		doc.Content[0] = m
	case root.Kind != yaml.MappingNode:
		return nil, invalid(fmt.Sprintf("%s:%d: the document is not a mapping of keys to values: fix or remove it first", docName, root.Line))
	}
	return &editDoc{orig: data, doc: doc}, nil
}

func (e *editDoc) root() *yaml.Node { return e.doc.Content[0] }

// render is the changed document, checked with Parse.
func (e *editDoc) render() ([]byte, error) {
	var out []byte
	if len(e.root().Content) > 0 || hasComments(e.doc) || hasComments(e.root()) {
		b, err := encode(e.doc)
		if err != nil {
			return nil, err
		}
		out = b
	}
	switch {
	case e.blank:
		out = append(blankText(e.orig), out...)
	case hasHeader(e.orig) && !hasHeader(out):
		out = append([]byte(header), out...)
	}
	if _, err := Parse(Source{Name: docName, Data: out}); err != nil {
		return nil, err
	}
	return out, nil
}

func hasComments(n *yaml.Node) bool {
	return n.HeadComment != "" || n.LineComment != "" || n.FootComment != ""
}

// hasHeader tells whether doc starts with the line #cloud-config.
func hasHeader(doc []byte) bool {
	line, _, _ := bytes.Cut(doc, []byte("\n"))
	return string(bytes.TrimRight(line, " \t\r")) == strings.TrimSuffix(header, "\n")
}

// blankText is the text of a document without content (comments at most),
// starting with the header and ending with a newline.
func blankText(orig []byte) []byte {
	if len(bytes.TrimSpace(orig)) == 0 {
		return []byte(header)
	}
	out := append([]byte(nil), orig...)
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	if !hasHeader(out) {
		out = append([]byte(header), out...)
	}
	return out
}

// Marshal is c as a document, starting with #cloud-config; Parse gives c
// back (with empty lists and maps as nil).
func Marshal(c Config) ([]byte, error) {
	if reflect.ValueOf(c).IsZero() {
		return []byte(header), nil
	}
	b, err := encode(c)
	if err != nil {
		return nil, fmt.Errorf("marshaling the cloud-config: %w", err)
	}
	return append([]byte(header), b...), nil
}
