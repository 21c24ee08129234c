package redact

import "strings"

// text is a string read as the characters it stands for, lower-cased, with
// where each of them came from in the original.
type text struct {
	b []byte
	// from[i] and to[i] bound the bytes of the original that b[i] stands
	// for; both nil when b maps one to one onto the original.
	from, to []int32
}

// lowered is s with ASCII letters lower-cased.
func lowered(s string) text {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		b[i] = lower(s[i])
	}
	return text{b: b}
}

func hasEscapes(s string) bool { return strings.ContainsAny(s, `%\&`) }

// normalize decodes URL escapes, JSON \u escapes and HTML character
// references of ASCII characters and lower-cases ASCII letters.
func normalize(s string) text {
	t := text{b: make([]byte, 0, len(s)), from: make([]int32, 0, len(s)), to: make([]int32, 0, len(s))}
	for i := 0; i < len(s); {
		c, n := decodeAt(s, i)
		t.b = append(t.b, lower(c))
		t.from = append(t.from, int32(i))
		t.to = append(t.to, int32(i+n))
		i += n
	}
	return t
}

// decodeAt returns the character that starts at s[i] and how many bytes of
// s it takes.
func decodeAt(s string, i int) (byte, int) {
	switch s[i] {
	case '%':
		// %2D, and %252D for a value escaped twice.
		j := i + 1
		for j+2 < len(s) && s[j] == '2' && s[j+1] == '5' && isHex(s[j+2]) && j+3 < len(s) && isHex(s[j+3]) {
			j += 2
		}
		if j+1 < len(s) && isHex(s[j]) && isHex(s[j+1]) {
			return hexVal(s[j])<<4 | hexVal(s[j+1]), j + 2 - i
		}
	case '\\':
		// \u002d, \\u002d (JSON in JSON) and \/.
		j := i
		for j < len(s) && s[j] == '\\' {
			j++
		}
		if j+4 < len(s) && s[j] == 'u' && s[j+1] == '0' && s[j+2] == '0' && isHex(s[j+3]) && isHex(s[j+4]) {
			if c := hexVal(s[j+3])<<4 | hexVal(s[j+4]); c < 0x80 {
				return c, j + 5 - i
			}
		}
		if j < len(s) && s[j] == '/' {
			return '/', j + 1 - i
		}
	case '&':
		// &#45; and &#x2d;
		if c, n, ok := charRef(s[i:]); ok {
			return c, n
		}
	}
	return s[i], 1
}

func charRef(s string) (byte, int, bool) {
	if len(s) < 4 || s[1] != '#' {
		return 0, 0, false
	}
	j, base := 2, 10
	if s[j] == 'x' || s[j] == 'X' {
		j, base = 3, 16
	}
	v, digits := 0, 0
	for ; j < len(s) && digits < 7; j++ {
		c := s[j]
		switch {
		case c >= '0' && c <= '9':
			v = v*base + int(c-'0')
		case base == 16 && isHex(c):
			v = v*base + int(hexVal(c))
		case c == ';' && digits > 0 && v < 0x80:
			return byte(v), j + 1, true
		default:
			return 0, 0, false
		}
		digits++
	}
	return 0, 0, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// replace returns s with the spans, in offsets of s, replaced.
func replace(s string, spans []span) string {
	var out strings.Builder
	out.Grow(len(s))
	last := 0
	for _, sp := range spans {
		out.WriteString(s[last:sp.start])
		out.WriteString(sp.repl)
		last = sp.end
	}
	out.WriteString(s[last:])
	return out.String()
}
