// Package bootloader writes and reads the systemd-boot menu of ros: Boot
// Loader Specification type #1 entries (/loader/entries/*.conf on the ESP),
// one per root slot, with boot counting in the file name, and loader.conf.
//
// The pure part models entries, their file names, the counter transitions
// and how systemd-boot 252 picks the entry it boots. The I/O edge (FS,
// ReadEntries, WriteEntry, SetCounter) works on a mounted ESP (DirFS) and on
// a go-diskfs FAT32 filesystem in a disk image alike.
//
// References: the UAPI Boot Loader Specification
// (https://uapi-group.org/specifications/specs/boot_loader_specification/)
// and systemd's Automatic Boot Assessment
// (https://systemd.io/AUTOMATIC_BOOT_ASSESSMENT/).
package bootloader

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Suffix ends the file name of every type #1 entry.
const Suffix = ".conf"

var (
	// ErrNotEntry is returned for a file name that is not a type #1 entry.
	ErrNotEntry = errors.New("not a boot loader entry (*.conf)")
	// ErrInvalidEntry is returned for an entry that cannot be written or
	// that systemd-boot would not boot.
	ErrInvalidEntry = errors.New("invalid boot loader entry")
)

// Entry is one type #1 boot loader entry. Its file name is ID plus the
// boot counter, if any, plus ".conf".
type Entry struct {
	ID string // file name without counter and suffix, e.g. "ros-a"

	Title   string
	Version string // ordered by CompareVersions: the newest boots first
	SortKey string
	Linux   string
	Initrd  string
	Options string

	// Counter is nil for an entry without boot counting ("good").
	Counter *Counter

	// Extra keeps, in file order, the lines Parse found that do not fit the
	// fields above: other keys of the specification (machine-id, efi,
	// devicetree, architecture, ...), unknown keys, and the second and later
	// initrd and options lines. Render writes them after the known keys, so
	// a parsed entry renders to an equivalent one (initrd and options lines
	// keep their relative order).
	Extra []Field
}

// Field is one "key value" line of an entry.
type Field struct{ Key, Value string }

// Counter is the boot counter of an entry: "+LEFT-DONE" in its file name.
type Counter struct {
	Left int // tries left; 0 means the entry is "bad"
	Done int // failed tries so far
}

// ParseName splits the file name of an entry (a base name such as
// "ros-a+2-1.conf") into its id and boot counter. Following the
// specification and systemd-boot, the counter is "+LEFT" or "+LEFT-DONE"
// (decimal numbers) right before a lower-case ".conf"; anything else is part
// of the id and the entry has no counter (c is nil).
func ParseName(file string) (id string, c *Counter, err error) {
	if len(file) <= len(Suffix) || !strings.EqualFold(file[len(file)-len(Suffix):], Suffix) {
		return "", nil, fmt.Errorf("parsing entry name %q: %w", file, ErrNotEntry)
	}
	stem := file[:len(file)-len(Suffix)]
	if !strings.HasSuffix(file, Suffix) {
		return stem, nil, nil // systemd-boot parses counters before ".conf" only
	}
	id, c = splitCounter(stem)
	if id == "" {
		return "", nil, fmt.Errorf("parsing entry name %q: empty id: %w", file, ErrNotEntry)
	}
	return id, c, nil
}

// splitCounter splits "id+LEFT[-DONE]" at the last "+".
func splitCounter(stem string) (string, *Counter) {
	i := strings.LastIndexByte(stem, '+')
	if i < 0 {
		return stem, nil
	}
	left, done, hasDone := strings.Cut(stem[i+1:], "-")
	l, ok := counterNumber(left)
	d := 0
	if ok && hasDone {
		d, ok = counterNumber(done)
	}
	if !ok {
		return stem, nil
	}
	return stem[:i], &Counter{Left: l, Done: d}
}

// counterNumber parses one counter: decimal digits, at most math.MaxInt32
// (systemd-boot ignores counters above INT_MAX).
func counterNumber(s string) (int, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}

// FileName is the base name of the entry in /loader/entries: "ros-a.conf"
// without counter, "ros-a+3-0.conf" with one. The "-DONE" part is always
// written, as systemd-boot does when it renames. This is the canonical
// form: a file another tool named "ros-a+3.conf" parses to the same Entry,
// so code that renames files uses the names it listed, not FileName.
func (e Entry) FileName() string {
	if e.Counter == nil {
		return e.ID + Suffix
	}
	return fmt.Sprintf("%s+%d-%d%s", e.ID, e.Counter.Left, e.Counter.Done, Suffix)
}

// Parse reads an entry from its file name (a base name, see ParseName) and
// contents the way systemd-boot 252 does: lines end at "\n" or "\r";
// blank lines, lines starting with "#" and keys without a value are
// ignored; the key is the first word of a line, the value the rest, trimmed
// of spaces and tabs, and unquoted if it starts and ends with '"'. A
// repeated title, version, sort-key or linux line overrides the earlier
// one; repeated initrd and options lines are kept (see Entry.Extra). The
// entry must have a linux or an efi line, or systemd-boot would skip it.
func Parse(name string, data []byte) (Entry, error) {
	id, c, err := ParseName(name)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{ID: id, Counter: c}
	lines := strings.FieldsFunc(string(data), func(r rune) bool { return r == '\n' || r == '\r' })
	for _, line := range lines {
		line = strings.Trim(line, " \t")
		i := strings.IndexAny(line, " \t")
		if line == "" || line[0] == '#' || i < 0 {
			continue
		}
		e.set(line[:i], unquote(strings.TrimLeft(line[i:], " \t")))
	}
	if e.Linux == "" && e.extra("efi") == "" {
		return Entry{}, fmt.Errorf("parsing entry %s: no linux or efi line: %w", name, ErrInvalidEntry)
	}
	return e, nil
}

// set stores one key of a parsed entry.
func (e *Entry) set(key, value string) {
	if p := e.field(key); p != nil && (*p == "" || (key != "initrd" && key != "options")) {
		*p = value
		return
	}
	e.Extra = append(e.Extra, Field{key, value})
}

// field returns the Entry field for a known key, nil for others.
func (e *Entry) field(key string) *string {
	switch key {
	case "title":
		return &e.Title
	case "version":
		return &e.Version
	case "sort-key":
		return &e.SortKey
	case "linux":
		return &e.Linux
	case "initrd":
		return &e.Initrd
	case "options":
		return &e.Options
	}
	return nil
}

// unquote strips the quotes systemd-boot strips: a leading and a trailing
// '"' (a lone '"' becomes empty).
func unquote(v string) string {
	if strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) {
		return strings.TrimSuffix(v[1:], `"`)
	}
	return v
}

// extra returns the value of the last Extra line with key, or "".
func (e Entry) extra(key string) string {
	v := ""
	for _, f := range e.Extra {
		if f.Key == key {
			v = f.Value
		}
	}
	return v
}

// Render writes the entry in a fixed key order: title, version, sort-key,
// linux, initrd, options, then Extra; empty fields are left out. It does not
// validate: use Validate before writing an entry somewhere.
func (e Entry) Render() []byte {
	var b bytes.Buffer
	for _, f := range e.fields() {
		v := f.Value
		if unquote(v) != v {
			v = `"` + v + `"` // so that reading it back unquotes to v
		}
		fmt.Fprintf(&b, "%-8s %s\n", f.Key, v)
	}
	return b.Bytes()
}

// fields lists the non-empty lines of the entry in Render order.
func (e Entry) fields() []Field {
	known := []Field{
		{"title", e.Title}, {"version", e.Version}, {"sort-key", e.SortKey},
		{"linux", e.Linux}, {"initrd", e.Initrd}, {"options", e.Options},
	}
	var out []Field
	for _, f := range append(known, e.Extra...) {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}

// Validate checks that the entry can be written and read back unchanged:
// a file-name-safe ID that does not itself look like a boot counter, sane
// counters, a linux (or efi) line and no line breaks in values.
func (e Entry) Validate() error {
	if err := validID(e.ID); err != nil {
		return err
	}
	if c := e.Counter; c != nil && (c.Left < 0 || c.Done < 0 || c.Left > math.MaxInt32 || c.Done > math.MaxInt32) {
		return fmt.Errorf("entry %s: counter %+v out of range: %w", e.ID, *c, ErrInvalidEntry)
	}
	if e.Linux == "" && e.extra("efi") == "" {
		return fmt.Errorf("entry %s: no linux or efi line: %w", e.ID, ErrInvalidEntry)
	}
	for _, f := range e.fields() {
		if f.Key == "" || strings.ContainsAny(f.Key, " \t\r\n#") || strings.ContainsAny(f.Value, "\r\n") {
			return fmt.Errorf("entry %s: bad line %q %q: %w", e.ID, f.Key, f.Value, ErrInvalidEntry)
		}
	}
	return nil
}

// validID accepts the characters the specification allows in entry file
// names (ASCII letters, digits, "+", "-", "_", ".") and rejects an id that
// would read back as a shorter id plus a counter.
func validID(id string) error {
	if id == "" || strings.TrimLeft(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-_.") != "" {
		return fmt.Errorf("entry id %q: want ASCII letters, digits, +, -, _ or .: %w", id, ErrInvalidEntry)
	}
	if _, c := splitCounter(id); c != nil || len(id)+len(Suffix) > 255 {
		return fmt.Errorf("entry id %q: ends like a boot counter or is too long: %w", id, ErrInvalidEntry)
	}
	return nil
}
