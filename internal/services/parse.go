package services

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ros-os/ros/internal/yamlerr"
)

// Parse reads one service file. name is only used in errors, which are one
// line: "name:LINE: what is wrong". Each service is checked on its own (see
// [Validate]); whether its dependencies exist is left to Validate, as they
// may come from another file.
func Parse(name string, data []byte) (File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s:%d: more than one YAML document", name, extra.Line)
	}
	if f == nil {
		f = File{}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	for _, svc := range f.Names() {
		if err := f[svc].check(svc); err != nil {
			return nil, fmt.Errorf("%s:%d: service %q: %w", name, keyLine(&doc, svc, err.Field), svc, err)
		}
	}
	return f, nil
}

// Merge returns the services of base and override. A service of override
// replaces the one of the same name in base as a whole: fields are not
// merged, so an override must be complete. Neither argument is modified.
func Merge(base, override File) File {
	f := make(File, len(base)+len(override))
	for n, s := range base {
		f[n] = s
	}
	for n, s := range override {
		f[n] = s
	}
	return f
}

// yamlError turns a yaml.v3 error into one line "name:LINE: message; ...".
func yamlError(name string, err error) error {
	unknown := func(field, _ string) string { return fmt.Sprintf("unknown key %q", field) }
	return errors.New(strings.Join(yamlerr.Lines(name, err, unknown), "; "))
}

// keyLine is the line of field in service svc, or of the service's name if
// the field is empty or not found (missing, or pulled in by a YAML merge).
func keyLine(doc *yaml.Node, svc, field string) int {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return 0
	}
	key, val := lookup(doc.Content[0], svc)
	if key == nil {
		return 0
	}
	if field != "" {
		if fk, _ := lookup(val, field); fk != nil {
			return fk.Line
		}
	}
	return key.Line
}

// lookup finds key in a mapping node, following an alias.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m.Kind == yaml.AliasNode {
		m = m.Alias
	}
	if m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}
