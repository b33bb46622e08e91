package yamlerr

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type named struct {
	A int `yaml:"a"`
}

func TestLines(t *testing.T) {
	unknown := func(f, typ string) string { return fmt.Sprintf("unknown key %q in %s", f, typ) }
	var strict named
	dec := func(doc string) error {
		d := yaml.NewDecoder(strings.NewReader(doc))
		d.KnownFields(true)
		return d.Decode(&strict)
	}
	tests := []struct {
		doc  string
		want []string
	}{
		{"a: [1\n", []string{"f:1: did not find expected ',' or ']'"}},
		{"a: 1\nb: 2\nc: 3\n", []string{`f:2: unknown key "b" in yamlerr.named`, `f:3: unknown key "c" in yamlerr.named`}},
		{"a: x\n", []string{"f:1: cannot unmarshal !!str `x` into int"}},
	}
	for _, tt := range tests {
		if got := Lines("f", dec(tt.doc), unknown); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Lines(%q) = %q, want %q", tt.doc, got, tt.want)
		}
	}
	if got := Lines("f", fmt.Errorf("yaml: boom"), unknown); !reflect.DeepEqual(got, []string{"f: boom"}) {
		t.Errorf("without a line: %q", got)
	}
}
