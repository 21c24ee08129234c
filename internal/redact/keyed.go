package redact

import "bytes"

// Keys whose values are secrets wherever they are written: INI lines (even
// mistyped, "secret 8c2d..."), JSON fields, query parameters and the
// PLAID-SECRET and PLAID-CLIENT-ID headers.
var secretKeys = [][]byte{
	[]byte("secret"), []byte("client_id"), []byte("client-id"),
	[]byte("access_token"), []byte("public_token"), []byte("link_token"),
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
		for from := 0; ; {
			i := bytes.Index(b[from:], key)
			if i < 0 {
				break
			}
			i += from
			from = i + len(key)
			j := from
			for j < len(b) && j-from < 6 && isKeySeparator(b[j]) {
				j++
			}
			if j == from {
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

func isKeySeparator(c byte) bool {
	return c == ' ' || c == '\t' || c == '=' || c == ':' || c == '"' || c == '\'' || c == '\\'
}
