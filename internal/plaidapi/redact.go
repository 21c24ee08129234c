package plaidapi

import "strings"

// Redact shows enough of a token to tell tokens apart in messages without
// revealing it: the environment prefix and the first four characters of the
// secret part, e.g. "access-sandbox-8f3a…".
func Redact(token string) string {
	if token == "" {
		return ""
	}
	prefix := ""
	rest := token
	for _, p := range []string{"access-", "public-", "link-"} {
		if strings.HasPrefix(token, p) {
			if i := strings.Index(token[len(p):], "-"); i >= 0 {
				prefix = token[:len(p)+i+1]
				rest = token[len(p)+i+1:]
			}
			break
		}
	}
	const shown = 4
	if len(rest) <= shown*2 {
		return prefix + "…"
	}
	return prefix + rest[:shown] + "…"
}
