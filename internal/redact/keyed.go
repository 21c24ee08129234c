package redact

import "bytes"

// Keys whose values are secrets wherever they are written: INI lines (even
// mistyped, "secret 8c2d..."), JSON fields, query parameters and the
// PLAID-SECRET and PLAID-CLIENT-ID headers. Each is found by its anchor,
// one search per anchor, then checked whole around it.
var secretKeys = []struct {
	anchor        string
	before, after []string // what may precede or must follow the anchor
}{
	{anchor: "secret", after: []string{""}},
	{anchor: "client", after: []string{"_id", "-id"}},
	{anchor: "_token", before: []string{"access", "public", "link"}, after: []string{""}},
}

// minKeyedValue is the shortest value after such a key that is taken for a
// secret; shorter ones, and values without a digit, are ordinary words
// ("secret: not set in plugin.conf").
const minKeyedValue = 8

// keyedSpans appends the values that follow a secret key in the normalised
// text b, after at most a few separators (spaces, '=', ':', quotes,
// backslashes of escaped quotes).
func keyedSpans(b []byte, spans []span) []span {
	for _, key := range secretKeys {
		anchor := []byte(key.anchor)
		for from := 0; ; {
			i := bytes.Index(b[from:], anchor)
			if i < 0 {
				break
			}
			i += from
			from = i + len(anchor)
			if len(key.before) > 0 && !anyBefore(b[:i], key.before) {
				continue
			}
			keyEnd, ok := afterKey(b, from, key.after)
			if !ok {
				continue
			}
			j := keyEnd
			for j < len(b) && j-keyEnd < 6 && isKeySeparator(b[j]) {
				j++
			}
			if j == keyEnd {
				continue // "secrets", "secret_key": another word
			}
			end, digit := j, false
			for end < len(b) && isTokenChar(b[end]) {
				digit = digit || b[end] >= '0' && b[end] <= '9'
				end++
			}
			if end-j < minKeyedValue || !digit {
				continue
			}
			if _, _, ok := tokenParts(b[j:end]); ok {
				continue // a token: tokenSpans shows its kind and environment
			}
			spans = append(spans, secretSpan(b, j, end))
			from = end
		}
	}
	return spans
}

func anyBefore(b []byte, words []string) bool {
	for _, w := range words {
		if bytes.HasSuffix(b, []byte(w)) {
			return true
		}
	}
	return false
}

// afterKey returns where the key ends when one of suffixes follows at i.
func afterKey(b []byte, i int, suffixes []string) (int, bool) {
	for _, s := range suffixes {
		if bytes.HasPrefix(b[i:], []byte(s)) {
			return i + len(s), true
		}
	}
	return 0, false
}

func isKeySeparator(c byte) bool {
	return c == ' ' || c == '\t' || c == '=' || c == ':' || c == '"' || c == '\'' || c == '\\'
}
