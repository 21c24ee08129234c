package hostile

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	secret = "8c2d0e6f4a1b3c5d7e9f0a2b4c6d8e"
	token  = "access-sandbox-8f3a1b2c-1111-4222-8333-444455556666"
)

var request = "POST /item/get? HTTP/1.1\nPlaid-Secret: " + secret + "\n\n{\"access_token\":\"" + token + "\"}"

// The echoes are as hostile as they claim: every cut keeps a part of a
// secret long enough to be a leak, and no form leaves it as sent.
func TestEchoesCarryTheSecrets(t *testing.T) {
	for _, e := range Echoes(JSON400) {
		text := e.apply(request, secret)
		decoded := text
		if e.Form == URLEveryByte || e.Form == URLEncoded {
			var err error
			decoded, err = url.QueryUnescape(text)
			require.NoError(t, err)
		}
		decoded = strings.NewReplacer(`\u002d`, "-", "&#45;", "-", `\u005f`, "_", "&#x5F;", "_").Replace(decoded)
		require.NotEmpty(t, Leaks(decoded, secret, token), "%s leaves nothing of the secrets: %q", e, text)
		if e.Form != AsSent {
			require.NotEqual(t, Echo{e.Style, AsSent, e.Cut}.apply(request, secret), text, "%s changes the text", e)
		}
		switch e.Cut {
		case InSecret:
			require.NotContains(t, strings.ToLower(decoded), secret, "%s cuts the secret", e)
		case InToken, FromMidToken:
			require.NotContains(t, strings.ToLower(decoded), token, "%s cuts the token", e)
		}
	}
}

func TestLeaks(t *testing.T) {
	require.Empty(t, Leaks("access-sandbox-8f3a… and 8c2d…", secret, token), "redacted forms are no leak")
	require.Equal(t, []string{"8f3a1b2c-111"}, Leaks("X 8F3A1B2C-1111-42", secret, token))
	require.Equal(t, []string{"4a1b3c5d7e9f"}, Leaks("..4a1b3c5d7e9f..", secret, token))
	require.Empty(t, Leaks("access-sandbox-", token), "the kind and environment are no secret")
}
