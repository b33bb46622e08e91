package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ros-os/ros/internal/yamlerr"
)

// Source is one cloud-config document. Name says where it comes from in
// errors, e.g. "/state/ros/cloud-config.yml" or "cidata:/dev/vdb user-data".
type Source struct {
	Name string
	Data []byte
}

// ErrInvalid is matched (errors.Is) by every error that reports a problem
// in a document, as opposed to a failure of the caller.
var ErrInvalid = errors.New("invalid cloud-config")

// invalidError is one or more problems, each one line "NAME:LINE: message",
// shown joined with "; ".
type invalidError struct{ msgs []string }

func (e *invalidError) Error() string        { return strings.Join(e.msgs, "; ") }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(msgs ...string) error { return &invalidError{msgs} }

// Parse reads and checks one document. A first line #cloud-config is
// optional; an empty document is the zero Config. Unknown keys, wrong
// types and values that ros cannot apply are errors, one line each in the
// form "NAME:LINE: message", joined with "; ".
func Parse(src Source) (Config, error) {
	c, _, err := parse(src)
	return c, err
}

// parse is Parse that also returns the document's node tree, nil for an
// empty document.
func parse(src Source) (Config, *yaml.Node, error) {
	if err := checkKind(src); err != nil {
		return Config{}, nil, err
	}
	doc, err := parseNode(src)
	if err != nil {
		return Config{}, nil, err
	}
	c, err := decode(src)
	if err != nil {
		return Config{}, nil, err
	}
	if err := check(src.Name, c, doc); err != nil {
		return Config{}, nil, err
	}
	return c, doc, nil
}

// otherKinds are the first lines of user-data that cloud-init runs but ros
// does not, each with what it is.
var otherKinds = []struct{ prefix, what string }{
	{"#!", "a script"},
	{"#include", "an #include list"},
	{"#cloud-config-archive", "a #cloud-config-archive"},
	{"#cloud-boothook", "a #cloud-boothook"},
	{"#part-handler", "a #part-handler"},
	{"#upstart-job", "an #upstart-job"},
	{"Content-Type: multipart/", "a MIME multi-part archive"},
}

// checkKind refuses documents that are user-data but not cloud-config.
func checkKind(src Source) error {
	for _, k := range otherKinds {
		if bytes.HasPrefix(src.Data, []byte(k.prefix)) {
			return invalid(fmt.Sprintf("%s: %s, not a #cloud-config document; ros runs cloud-config only", src.Name, k.what))
		}
	}
	return nil
}

// parseNode is the node tree of the document in src (a DocumentNode), or
// nil if it is empty. A second document is an error.
func parseNode(src Source) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src.Data))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(src.Name, err)
	}
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, invalid(fmt.Sprintf("%s:%d: more than one YAML document: put all keys in one (remove the ---)", src.Name, extra.Line))
	case !errors.Is(err, io.EOF):
		return nil, yamlError(src.Name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	if k := complexKey(&doc); k != nil {
		return nil, invalid(fmt.Sprintf("%s:%d: a key must be a plain word, not a list or a map", src.Name, k.Line))
	}
	return &doc, nil
}

// complexKey is the first mapping key that is not a scalar, which no
// cloud-config has (and which makes yaml.v3 panic in merge keys).
func complexKey(n *yaml.Node) *yaml.Node {
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 && deref(c).Kind != yaml.ScalarNode {
			return c
		}
		if k := complexKey(c); k != nil {
			return k
		}
	}
	return nil
}

// decode decodes the (single) document of src strictly into a Config.
func decode(src Source) (c Config, err error) {
	// yaml.v3 has panicked on odd input; init must not die of a bad file.
	defer func() {
		if r := recover(); r != nil {
			c, err = Config{}, invalid(fmt.Sprintf("%s: the YAML cannot be decoded (%v): simplify anchors and merge keys", src.Name, r))
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src.Data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, yamlError(src.Name, err)
	}
	return c, nil
}

// yamlError turns a yaml.v3 error into lines "name:LINE: message", unknown
// keys with a hint.
func yamlError(name string, err error) error {
	return invalid(yamlerr.Lines(name, err, unknownField)...)
}
