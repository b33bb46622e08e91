package config

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the most a write_files entry may decode to.
const MaxFileSize = 64 << 20

var errEncoding = errors.New("unknown encoding")

// Mode is the file mode of Permissions, 0644 if it is empty.
func (f WriteFile) Mode() (fs.FileMode, error) {
	if f.Permissions == "" {
		return 0o644, nil
	}
	m, err := strconv.ParseUint(f.Permissions, 8, 32)
	if err != nil || m > 0o7777 {
		return 0, fmt.Errorf("permissions %q: want an octal mode up to 7777, e.g. \"0644\"", f.Permissions)
	}
	return fs.FileMode(m&0o777) | modeBits(m), nil
}

// modeBits turns the setuid, setgid and sticky bits of a Unix mode into
// those of an fs.FileMode.
func modeBits(m uint64) fs.FileMode {
	var fm fs.FileMode
	for _, b := range []struct {
		unix uint64
		fm   fs.FileMode
	}{{0o4000, fs.ModeSetuid}, {0o2000, fs.ModeSetgid}, {0o1000, fs.ModeSticky}} {
		if m&b.unix != 0 {
			fm |= b.fm
		}
	}
	return fm
}

// Decode is the content of the file: Content decoded as Encoding says.
func (f WriteFile) Decode() ([]byte, error) {
	switch f.Encoding {
	case "":
		return []byte(f.Content), nil
	case "b64", "base64":
		return decodeBase64(f.Content, f.Encoding)
	case "gz", "gzip":
		return gunzip([]byte(f.Content), f.Encoding)
	case "gz+b64", "gzip+base64", "gz+base64", "gzip+b64":
		b, err := decodeBase64(f.Content, f.Encoding)
		if err != nil {
			return nil, err
		}
		return gunzip(b, f.Encoding)
	}
	return nil, fmt.Errorf("%w %q: want b64, base64, gz, gzip, gz+b64 or gzip+base64, or none for plain text", errEncoding, f.Encoding)
}

// decodeBase64 decodes s, ignoring white space as cloud-init does, so the
// content may be wrapped over several lines.
func decodeBase64(s, enc string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("content is not valid base64 (encoding %s): %w", enc, err)
	}
	return b, nil
}

func gunzip(b []byte, enc string) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("content is not gzip data (encoding %s): %w", enc, err)
	}
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(zr, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("content is not valid gzip data (encoding %s): %w", enc, err)
	}
	if n > MaxFileSize {
		return nil, fmt.Errorf("content decodes to more than %d MiB", MaxFileSize>>20)
	}
	return out.Bytes(), nil
}

// MarshalYAML writes the entry as yaml.v3 would, except that content
// starting with a newline is double-quoted: yaml.v3 writes it as a literal
// block that loses that newline (found by FuzzParse).
func (f WriteFile) MarshalYAML() (any, error) {
	type plain WriteFile // without this method
	p := plain(f)
	leading := strings.HasPrefix(f.Content, "\n")
	if leading {
		p.Content = "-" // a placeholder, replaced below
	}
	n := &yaml.Node{}
	if err := n.Encode(p); err != nil {
		return nil, err
	}
	for i := 0; leading && i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "content" {
			n.Content[i+1].Value, n.Content[i+1].Style = f.Content, yaml.DoubleQuotedStyle
		}
	}
	return n, nil
}
