package plaidini

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Messages never quote a credential: a value that is or may be one (any
// value of a secret key, and any part of a line that does not parse) is
// shown as the kind of Plaid token it is, if any, and its first four
// characters; other text as itself when short, else its first eight
// characters. Twelve or more consecutive characters of a value never reach
// a message.

// knownKeys are the key names plaid-sync, linktool and the plugin use;
// messages show them whole.
var knownKeys = map[string]bool{
	"access_token": true, "secret": true, "public_token": true, "client_id": true,
	"environment": true, "base_url": true, "item_id": true, "disabled": true,
	"public_key": true, "dbfile": true,
}

// tokenKinds are the documented starts of Plaid tokens; they say which
// environment a token is for and hide nothing secret.
var tokenKinds = []string{
	"access-sandbox-", "access-development-", "access-production-",
	"public-sandbox-", "public-development-", "public-production-",
}

const (
	shortText      = 11 // text of at most this many characters is shown whole
	textPrefix     = 8  // longer text is cut to this many
	secretPrefix   = 4  // characters of a possible credential past its kind
	minSecretShown = 8  // shorter possible credentials show no character
)

// secretPreview describes a value that may be a credential.
func secretPreview(v string) string {
	n := utf8.RuneCountInString(v)
	kind, rest := "", v
	for _, k := range tokenKinds {
		if strings.HasPrefix(v, k) {
			kind, rest = k, v[len(k):]
			break
		}
	}
	shown := ""
	if utf8.RuneCountInString(rest) >= minSecretShown {
		shown = firstRunes(rest, secretPrefix)
	}
	return fmt.Sprintf("%s (%d characters)", strconv.Quote(kind+shown+"…"), n)
}

// textPreview quotes text that is not a credential, cut when long.
func textPreview(s string) string {
	if utf8.RuneCountInString(s) <= shortText {
		return strconv.Quote(s)
	}
	return strconv.Quote(firstRunes(s, textPrefix) + "…")
}

// keyLabel quotes a key name: whole when it is a known one.
func keyLabel(name string) string {
	if knownKeys[strings.ToLower(name)] {
		return strconv.Quote(name)
	}
	return textPreview(name)
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
