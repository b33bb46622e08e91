package bootloader

import "cmp"

// CompareVersions compares two version strings the way systemd-boot 252
// orders the "version" field of entries (and entry ids): the UAPI Version
// Format Specification, implemented in systemd as strverscmp_improved. It
// returns -1, 0 or +1 as a is older than, equal to, or newer than b.
//
// It is not semver. In particular "-" separates version from release, so
// "1.0-rc1" is NEWER than "1.0"; a pre-release must be written "1.0~rc1".
// The upgrader must make sure a new version compares newer than the running
// one, or systemd-boot will never try the new slot (see Pick).
func CompareVersions(a, b string) int {
	for {
		a, b = skipInvalid(a), skipInvalid(b)
		// '~' sorts before everything, even the end of the string.
		if r, ok := sepCmp(&a, &b, '~'); ok {
			return r
		}
		if a == "" || b == "" {
			return cmp.Compare(len(a), len(b))
		}
		// The order of these checks matters: "1-a" < "1^a" < "1.a" < "1a".
		for _, sep := range []byte{'-', '^', '.'} {
			if r, ok := sepCmp(&a, &b, sep); ok {
				return r
			}
		}
		var r int
		if r, a, b = segmentCmp(a, b); r != 0 {
			return r
		}
	}
}

// sepCmp handles one separator: if exactly one string starts with c, that
// one is older; if both do, c is skipped in both.
func sepCmp(a, b *string, c byte) (int, bool) {
	ha, hb := hasPrefix(*a, c), hasPrefix(*b, c)
	switch {
	case ha && hb:
		*a, *b = (*a)[1:], (*b)[1:]
	case ha:
		return -1, true
	case hb:
		return 1, true
	}
	return 0, false
}

// segmentCmp compares the leading numeric (or, if neither has one,
// alphabetic) segments and returns the rest of both strings.
func segmentCmp(a, b string) (int, string, string) {
	if isDigit(first(a)) || isDigit(first(b)) {
		na, ra := span(a, isDigit)
		nb, rb := span(b, isDigit)
		// An empty numeric segment (the other string has letters here)
		// is older than any number.
		if r := cmp.Compare(b2i(na != ""), b2i(nb != "")); r != 0 {
			return r, ra, rb
		}
		na, nb = trimZeros(na), trimZeros(nb)
		if r := cmp.Compare(len(na), len(nb)); r != 0 {
			return r, ra, rb
		}
		return cmp.Compare(na, nb), ra, rb
	}
	sa, ra := span(a, isAlpha)
	sb, rb := span(b, isAlpha)
	n := min(len(sa), len(sb))
	if r := cmp.Compare(sa[:n], sb[:n]); r != 0 {
		return r, ra, rb
	}
	return cmp.Compare(len(sa), len(sb)), ra, rb
}

func skipInvalid(s string) string {
	for s != "" && !isVersionChar(s[0]) {
		s = s[1:]
	}
	return s
}

func span(s string, ok func(byte) bool) (head, rest string) {
	i := 0
	for i < len(s) && ok(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func trimZeros(s string) string {
	for s != "" && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func isVersionChar(c byte) bool {
	return isDigit(c) || isAlpha(c) || c == '~' || c == '-' || c == '^' || c == '.'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func hasPrefix(s string, c byte) bool { return s != "" && s[0] == c }

func first(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
