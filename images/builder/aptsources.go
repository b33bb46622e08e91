package builder

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// DebianKeyring verifies Debian's archive: the keys of every current
// release. The host source's own Signed-By may hold only its release's key
// (debian-archive-bookworm-stable.gpg cannot verify trixie), so it is not
// reused.
const DebianKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// ErrNoMirror means no Debian mirror was given and the host's apt sources
// name none.
var ErrNoMirror = errors.New("no Debian mirror")

// Mirror is a Debian archive: its URI and the keyring that signs it.
type Mirror struct {
	URI     string
	Keyring string
	From    string // where it was found: a sources file, or "override"
}

// CheckMirror checks a mirror URI given by hand (ROS_APT_MIRROR, --mirror).
func CheckMirror(uri string) error {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || strings.ContainsAny(uri, " \t\n[]") {
		return fmt.Errorf("%w: %q is not a URI such as http://mirror.example/debian", ErrNoMirror, uri)
	}
	return nil
}

// HostMirror finds the Debian archive in the host's apt sources under etc
// (/etc/apt): sources.list, then sources.list.d/*.list and *.sources in
// name order, as apt reads them. It takes the first enabled deb source of a
// Debian release suite with component main; the security archive, cdroms
// and third-party repositories are passed over. It only reads.
func HostMirror(etc string) (Mirror, error) {
	var m Mirror
	err := eachHostSource(etc, func(file string, s aptSource) bool {
		if s.isDebianArchive() {
			m = Mirror{URI: s.uris[0], Keyring: DebianKeyring, From: file}
			return true
		}
		return false
	})
	switch {
	case err != nil:
		return Mirror{}, err
	case m.URI == "":
		return Mirror{}, fmt.Errorf("%w: the apt sources in %s name no Debian archive (set ROS_APT_MIRROR or --mirror to one, e.g. http://mirror.example/debian)", ErrNoMirror, etc)
	}
	return m, nil
}

// HostSecurity is the URI of the host's Debian security archive (a source
// of a SUITE-security suite), or, when it names none, the mirror's sibling
// MIRROR-security as Debian's own mirrors lay it out.
func HostSecurity(etc, mirror string) string {
	uri := strings.TrimSuffix(mirror, "/") + "-security"
	_ = eachHostSource(etc, func(_ string, s aptSource) bool {
		if s.enabled && slices.Contains(s.types, "deb") && len(s.uris) > 0 && s.isSecurity() {
			uri = s.uris[0]
			return true
		}
		return false
	})
	return uri
}

// eachHostSource calls found with each entry of the host's apt sources, in
// the order apt reads them, until it returns true. Missing files are
// skipped; it only reads.
func eachHostSource(etc string, found func(file string, s aptSource) bool) error {
	for _, f := range hostSourceFiles(etc) {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading the host's apt sources: %w", err)
		}
		parse := parseOneLine
		if strings.HasSuffix(f, ".sources") {
			parse = parseDeb822
		}
		for _, s := range parse(string(b)) {
			if found(f, s) {
				return nil
			}
		}
	}
	return nil
}

func (s aptSource) isSecurity() bool {
	for _, suite := range s.suites {
		if _, variant, _ := strings.Cut(suite, "-"); variant == "security" {
			return true
		}
	}
	return false
}

// hostSourceFiles are the host's apt sources files in the order apt reads them.
func hostSourceFiles(etc string) []string {
	files := []string{filepath.Join(etc, "sources.list")}
	parts, _ := filepath.Glob(filepath.Join(etc, "sources.list.d", "*"))
	sort.Strings(parts)
	for _, p := range parts {
		if strings.HasSuffix(p, ".list") || strings.HasSuffix(p, ".sources") {
			files = append(files, p)
		}
	}
	return files
}

// aptSource is one entry of an apt sources file, in either format.
type aptSource struct {
	types, uris, suites, components []string
	enabled                         bool
	signedBy                        string
}

// debianReleases are the code names and aliases of Debian's main archive.
var debianReleases = map[string]bool{
	"jessie": true, "stretch": true, "buster": true, "bullseye": true, "bookworm": true,
	"trixie": true, "forky": true, "duke": true, "sid": true,
	"oldoldstable": true, "oldstable": true, "stable": true, "testing": true, "unstable": true,
}

// isDebianArchive: an enabled binary source of Debian's main archive. The
// security archive has its own suites (bookworm-security, buster/updates),
// and a third-party repository signs with its own keyring file (a source
// with an inline key or none is judged by its suite alone).
func (s aptSource) isDebianArchive() bool {
	if !s.enabled || !slices.Contains(s.types, "deb") || len(s.uris) == 0 || !slices.Contains(s.components, "main") {
		return false
	}
	if strings.HasPrefix(s.uris[0], "cdrom:") {
		return false
	}
	if filepath.IsAbs(s.signedBy) && !strings.HasPrefix(filepath.Base(s.signedBy), "debian-archive-") {
		return false
	}
	for _, suite := range s.suites {
		if strings.Contains(suite, "/") { // buster/updates: the old security layout
			continue
		}
		release, variant, _ := strings.Cut(suite, "-")
		if debianReleases[release] && variant != "security" {
			return true
		}
	}
	return false
}

// parseOneLine reads sources.list's format:
// deb [ key=value ... ] uri suite [component ...]
func parseOneLine(text string) []aptSource {
	var out []aptSource
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		typ, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		if typ == "" {
			continue
		}
		s := aptSource{types: []string{typ}, enabled: true}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "[") {
			opts, after, ok := strings.Cut(rest[1:], "]")
			if !ok {
				continue
			}
			for _, o := range strings.Fields(opts) {
				if k, v, ok := strings.Cut(o, "="); ok && strings.EqualFold(k, "signed-by") {
					s.signedBy = v
				}
			}
			rest = after
		}
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		s.uris, s.suites, s.components = f[:1], f[1:2], f[2:]
		out = append(out, s)
	}
	return out
}

// parseDeb822 reads the .sources format: paragraphs of Field: value, values
// continued on indented lines (an inline Signed-By key), '#' comments.
func parseDeb822(text string) []aptSource {
	var out []aptSource
	for _, para := range paragraphs(text) {
		s := aptSource{
			types: strings.Fields(para["types"]), uris: strings.Fields(para["uris"]),
			suites: strings.Fields(para["suites"]), components: strings.Fields(para["components"]),
			enabled: !strings.EqualFold(strings.TrimSpace(para["enabled"]), "no"),
		}
		if keys := strings.Fields(para["signed-by"]); len(keys) == 1 {
			s.signedBy = keys[0] // else an inline key block, or none
		}
		out = append(out, s)
	}
	return out
}

func paragraphs(text string) []map[string]string {
	var paras []map[string]string
	cur, last := map[string]string{}, ""
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, cur)
		}
		cur, last = map[string]string{}, ""
	}
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			if last != "" {
				cur[last] += "\n" + strings.TrimSpace(line)
			}
		default:
			k, v, _ := strings.Cut(line, ":")
			last = strings.ToLower(strings.TrimSpace(k))
			cur[last] = strings.TrimSpace(v)
		}
	}
	flush()
	return paras
}
