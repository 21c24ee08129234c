package redact

import (
	"bytes"
	"strings"
)

// Plaid's tokens are <kind>-<environment>-<identifier>.
var (
	tokenKinds   = []string{"access-", "public-", "link-"}
	environments = []string{"sandbox-", "production-", "development-"}
	// envMarkers are "-sandbox-" and so on: searched for first, since they
	// are rarer in ordinary text than the kinds.
	envMarkers = [][]byte{[]byte("-sandbox-"), []byte("-production-"), []byte("-development-")}
)

// Token shows enough of a token to tell tokens apart in messages without
// revealing it: the kind and environment and the first four characters of
// the rest, e.g. "access-sandbox-8f3a…". Other strings keep four
// characters, or none when they are short.
func Token(token string) string {
	if token == "" {
		return ""
	}
	prefix, rest := "", token
	for _, p := range tokenKinds {
		if strings.HasPrefix(token, p) {
			if i := strings.Index(token[len(p):], "-"); i >= 0 {
				prefix, rest = token[:len(p)+i+1], token[len(p)+i+1:]
			}
			break
		}
	}
	if len(rest) <= shown*2 {
		return prefix + ellipsis
	}
	return prefix + rest[:shown] + ellipsis
}

// tokenParts splits a normalised token into its kind and environment
// prefix and the identifier after it.
func tokenParts(b []byte) (prefix, body []byte, ok bool) {
	for _, k := range tokenKinds {
		if !bytes.HasPrefix(b, []byte(k)) {
			continue
		}
		for _, e := range environments {
			if bytes.HasPrefix(b[len(k):], []byte(e)) {
				n := len(k) + len(e)
				return b[:n], b[n:], true
			}
		}
	}
	return nil, nil, false
}

// tokenSpans appends the token shapes in the normalised text b: a kind and
// an environment followed by more than `shown` identifier characters, cut
// short or not. Fewer are left alone: that is a token already redacted.
func tokenSpans(b []byte, spans []span) []span {
	for _, marker := range envMarkers {
		for from := 0; ; {
			i := bytes.Index(b[from:], marker)
			if i < 0 {
				break
			}
			i += from
			from = i + 1
			start := -1
			for _, k := range tokenKinds {
				kind := k[:len(k)-1]
				if i >= len(kind) && string(b[i-len(kind):i]) == kind {
					start = i - len(kind)
				}
			}
			if start < 0 {
				continue
			}
			bodyStart := i + len(marker)
			end := bodyStart
			for end < len(b) && isTokenChar(b[end]) {
				end++
			}
			if end-bodyStart <= shown {
				continue
			}
			spans = append(spans, span{start: start, end: end, repl: string(b[start:bodyStart+shown]) + ellipsis})
			from = end
		}
	}
	return spans
}

func isTokenChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '_'
}
