package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// A key names a value of the configuration, as ros config get and set take
// it: the YAML names joined by dots, e.g. ros.console.autologin. Below a
// map (ros.services, ros.services_include, ros.network.interfaces,
// ros.sysctl) comes a map key, which may itself hold dots: the rest of the
// key for a map of plain values (ros.sysctl.net.ipv4.ip_forward), and for
// a map of structures (ros.network.interfaces.eth0.100.address) the
// shortest part that leaves valid keys after it. Lists are taken whole.

var configType = reflect.TypeOf(Config{})

// resolveKey turns key into a path in the YAML document and the Go type of
// the value there, checking it against the yaml tags of Config.
func resolveKey(key string) (keyPath, reflect.Type, error) {
	if key == "" {
		return nil, nil, fmt.Errorf("empty key: give one like hostname or ros.console.autologin")
	}
	return walkKey(configType, strings.Split(key, "."), nil, key)
}

func walkKey(t reflect.Type, segs []string, done keyPath, key string) (keyPath, reflect.Type, error) {
	if len(segs) == 0 {
		return done, t, nil
	}
	switch t.Kind() {
	case reflect.Struct:
		f, ok := fieldByName(t, segs[0])
		if !ok {
			return nil, nil, unknownKey(key, done, t, segs[0])
		}
		return walkKey(f.Type, segs[1:], done.at(segs[0]), key)
	case reflect.Map:
		return walkMap(t, segs, done, key)
	case reflect.Slice:
		return nil, nil, fmt.Errorf("unknown key %q: %s is a list, get or set it whole", key, strings.Join(done, "."))
	}
	return nil, nil, fmt.Errorf("unknown key %q: %s is a single value, with no keys under it", key, strings.Join(done, "."))
}

// walkMap resolves segs below a map: the first segments make the map key.
func walkMap(t reflect.Type, segs []string, done keyPath, key string) (keyPath, reflect.Type, error) {
	if segs[0] == "" {
		return nil, nil, fmt.Errorf("key %q: give a name after %s.", key, strings.Join(done, "."))
	}
	if t.Elem().Kind() != reflect.Struct {
		return walkKey(t.Elem(), nil, done.at(strings.Join(segs, ".")), key)
	}
	var first error
	for i := 1; i <= len(segs); i++ {
		p, typ, err := walkKey(t.Elem(), segs[i:], done.at(strings.Join(segs[:i], ".")), key)
		if err == nil {
			if i > 1 && isTypo(first) {
				return nil, nil, first // ros.services.ntp.imag is not a service "ntp.imag"
			}
			return p, typ, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, nil, first
}

// typoError is an unknown key close to a known one.
type typoError struct{ msg string }

func (e *typoError) Error() string { return e.msg }

func isTypo(err error) bool {
	var te *typoError
	return errors.As(err, &te)
}

// fieldByName is the field of struct t whose YAML name is name.
func fieldByName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && yamlName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// yamlNames are the YAML names of the fields of struct t.
func yamlNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && yamlName(f) != "-" {
			names = append(names, yamlName(f))
		}
	}
	return names
}

func unknownKey(key string, done keyPath, t reflect.Type, name string) error {
	where := "the top-level keys are"
	if len(done) > 0 {
		where = "the keys under " + strings.Join(done, ".") + " are"
	}
	if s := closest(name, yamlNames(t)); s != "" {
		return &typoError{fmt.Sprintf("unknown key %q: did you mean %q? (%s %s)", key, strings.Join(done.at(s), "."), where, strings.Join(yamlNames(t), ", "))}
	}
	return fmt.Errorf("unknown key %q: %s %s", key, where, strings.Join(yamlNames(t), ", "))
}

// closest is the name among names nearest to s, if it is near enough to be
// a typo; else "".
func closest(s string, names []string) string {
	best, bestD := "", 3 // at most 2 edits,
	if len(s) <= 4 {
		bestD = 2 // or 1 for a short name
	}
	for _, n := range names {
		if d := distance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

var (
	structsOnce sync.Once
	structs     map[string]reflect.Type
)

// structType is the struct type reachable from Config that yaml.v3 names
// name in its errors ("config.Ros", "services.Service").
func structType(name string) (reflect.Type, bool) {
	structsOnce.Do(func() {
		structs = map[string]reflect.Type{}
		collectStructs(configType)
	})
	t, ok := structs[name]
	return t, ok
}

func collectStructs(t reflect.Type) {
	switch t.Kind() {
	case reflect.Struct:
		if _, seen := structs[t.String()]; seen {
			return
		}
		structs[t.String()] = t
		for i := 0; i < t.NumField(); i++ {
			collectStructs(t.Field(i).Type)
		}
	case reflect.Map, reflect.Slice, reflect.Pointer:
		collectStructs(t.Elem())
	}
}

// unknownField is yaml.v3's "field NAME not found in type TYPE" made into
// something to act on.
func unknownField(name, typ string) string {
	msg := fmt.Sprintf("unknown key %q", name)
	t, ok := structType(typ)
	if !ok {
		return msg
	}
	if s := closest(name, yamlNames(t)); s != "" {
		return fmt.Sprintf("%s: did you mean %q?", msg, s)
	}
	return fmt.Sprintf("%s: want one of %s", msg, strings.Join(yamlNames(t), ", "))
}
