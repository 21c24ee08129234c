package redact

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	accessToken = "access-production-8f3a1b2c-1111-4222-8333-444455556666"
	publicToken = "public-sandbox-1f2e3d4c-aaaa-4bbb-8ccc-ddddeeeeffff"
	linkToken   = "link-sandbox-0a1b2c3d-9999-4888-a777-666655554444"
	secret      = "8c2d0e6f4a1b3c5d7e9f0a2b4c6d8e"
	clientID    = "5f0c1d2e3a4b5c6d7e8f9a0b"
)

// Leaks returns the parts of secret (MinRun characters or more, any case)
// that out still holds; for tokens only the identifier counts, since the
// kind and environment are public.
func leaks(out, secret string) []string {
	if _, body, ok := tokenParts([]byte(secret)); ok {
		secret = string(body)
	}
	lo := strings.ToLower(out)
	var found []string
	for i := 0; i+MinRun <= len(secret); i++ {
		if w := secret[i : i+MinRun]; strings.Contains(lo, strings.ToLower(w)) {
			found = append(found, w)
		}
	}
	return found
}

// variants are the ways a server or proxy echoes a value back.
func variants(s string) map[string]string {
	jsonEscaped := strings.NewReplacer("-", `\u002d`, "a", `\u0061`).Replace(s)
	return map[string]string{
		"plain":          s,
		"upper":          strings.ToUpper(s),
		"url-encoded":    strings.ReplaceAll(s, "-", "%2D"),
		"url-all":        urlEncodeAll(s),
		"url-twice":      url.QueryEscape(strings.ReplaceAll(s, "-", "%2D")),
		"json-escaped":   jsonEscaped,
		"json-in-json":   strings.ReplaceAll(jsonEscaped, `\u`, `\\u`),
		"html-decimal":   strings.ReplaceAll(s, "-", "&#45;"),
		"html-hex":       strings.ReplaceAll(s, "-", "&#x2D;"),
		"cut-end":        s[:len(s)*2/3],
		"cut-start":      s[len(s)/3:],
		"cut-both":       s[len(s)/4 : len(s)/4+MinRun+1],
		"upper-url-cut":  strings.ToUpper(strings.ReplaceAll(s[5:], "-", "%2d")),
		"quoted-in-json": fmt.Sprintf(`{"echo":%q}`, s),
	}
}

func urlEncodeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

func TestRegisteredSecretsAreFoundInEveryForm(t *testing.T) {
	r := New(secret, clientID, accessToken, publicToken, linkToken)
	tried := 0
	for _, s := range []string{secret, clientID, accessToken, publicToken, linkToken} {
		for name, v := range variants(s) {
			in := "error: request " + v + " failed"
			out := r.String(in)
			require.Empty(t, leaks(out, s), "%s of %s: %q became %q", name, s, in, out)
			require.True(t, strings.HasPrefix(out, "error: request "), out)
			require.True(t, strings.HasSuffix(out, " failed"), out)
			tried++
		}
	}
	t.Logf("%d forms of 5 secrets tried", tried)
}

func TestTokenShapesAreFoundWithoutRegistration(t *testing.T) {
	r := New()
	for _, tok := range []string{accessToken, publicToken, linkToken, "access-sandbox-" + strings.Repeat("ab12", 9)} {
		for name, v := range variants(tok) {
			if strings.HasPrefix(name, "cut-start") || name == "cut-both" || name == "upper-url-cut" {
				continue // the kind is gone: only a registered token is recognisable then
			}
			out := r.String("token=" + v + "&x=1")
			require.Empty(t, leaks(out, tok), "%s: %q", name, out)
		}
	}
	require.Equal(t, `{"access_token":"access-production-8f3a…"}`, Text(`{"access_token":"`+accessToken+`"}`))
	require.Equal(t, "ACCESS%2DPRODUCTION%2D8F3A1B2C → access-production-8f3a…",
		"ACCESS%2DPRODUCTION%2D8F3A1B2C → "+Text("ACCESS%2DPRODUCTION%2D8F3A1B2C"))
}

// The value after a secret's key is hidden even when nobody registered it:
// a mistyped INI line, an echoed header, a JSON field, a query parameter.
func TestValuesOfSecretKeysAreFoundWithoutRegistration(t *testing.T) {
	cases := map[string]string{
		"plaid.ini:3: \"secret " + secret + "\" is neither a 'key = value' line": "plaid.ini:3: \"secret 8c2d…\" is neither a 'key = value' line",
		"Plaid-Secret: " + secret + "\nPlaid-Client-Id: " + clientID:             "Plaid-Secret: 8c2d…\nPlaid-Client-Id: 5f0c…",
		`{"client_id":"` + clientID + `","secret":"` + secret + `"}`:             `{"client_id":"5f0c…","secret":"8c2d…"}`,
		`{\"secret\":\"` + secret + `\"}`:                                        `{\"secret\":\"8c2d…\"}`,
		"/item/get?client_id=" + clientID + "&x=1":                               "/item/get?client_id=5f0c…&x=1",
		"SECRET%3D" + strings.ToUpper(secret):                                    "SECRET%3D8c2d…",
		"access_token = " + accessToken:                                          "access_token = access-production-8f3a…",
	}
	for in, want := range cases {
		require.Equal(t, want, New().String(in), "from %q", in)
	}
	for _, plain := range []string{
		"secret: not set in plugin.conf nor in the [PLAID] section of plaid.ini",
		"the Plaid secret and the client id are wrong",
		"secrets_dir = /etc/telegraf/secrets-2024 and secret_key = ab12cd34ef56",
		"client_id: interpolation",
	} {
		require.Equal(t, plain, New().String(plain))
	}
}

func TestRedactedTextIsKept(t *testing.T) {
	r := New(secret, accessToken, publicToken)
	for _, in := range []string{
		"Public token obtained [public-sandbox-1f2e…]. Exchanging for access token.",
		"access-production-8f3a… is linked",
		"environment = sandbox; public-sandbox-… is spent",
		"plain words, paths /etc/telegraf/plaid.ini and 2026-03-10 06:02 UTC stay",
		"",
	} {
		require.Equal(t, in, r.String(in))
	}
	once := r.String("failed: " + accessToken + " with " + secret)
	require.Equal(t, "failed: access-production-8f3a… with 8c2d…", once)
	require.Equal(t, once, r.String(once), "redacting twice changes nothing")
}

func TestShortSecretsAreMatchedWhole(t *testing.T) {
	r := New("s3cr3t", "abc", "")
	require.Equal(t, "secret=s3cr… and s3cr… again, abc stays", r.String("secret=s3cr3t and S3CR3T again, abc stays"))
}

func TestRegisterReachesEveryRedactor(t *testing.T) {
	const global = "registered-process-wide-0123456789"
	own := New()
	require.Contains(t, own.String("x "+global), global)
	Register(global)
	require.NotContains(t, own.String("x "+global), "wide-0123456789")
	require.NotContains(t, Text("x "+global), "wide-0123456789")
}

func TestErrorAndWriter(t *testing.T) {
	r := New(secret)
	base := errors.New("HTTP 502: echo " + secret)
	err := r.Error(fmt.Errorf("call: %w", base))
	require.Equal(t, "call: HTTP 502: echo 8c2d…", err.Error())
	require.ErrorIs(t, err, base, "the chain is kept for errors.Is and errors.As")
	plain := errors.New("nothing secret")
	require.Same(t, plain, r.Error(plain))
	require.NoError(t, r.Error(nil))

	var b strings.Builder
	w := r.Writer(&b)
	n, werr := io.WriteString(w, "secret="+secret+"\n")
	require.NoError(t, werr)
	require.Equal(t, len("secret="+secret+"\n"), n, "Write reports the caller's bytes")
	require.Equal(t, "secret=8c2d…\n", b.String())
}

func TestToken(t *testing.T) {
	cases := map[string]string{
		"access-sandbox-8f3a1b2c-1111-2222-3333-444455556666":    "access-sandbox-8f3a…",
		"public-production-1f2e3d4c-aaaa-bbbb-cccc-ddddeeeeffff": "public-production-1f2e…",
		"link-sandbox-12345678-abcd":                             "link-sandbox-1234…",
		"0123456789abcdef0123456789abcd":                         "0123…",
		"short":                                                  "…",
		"":                                                       "",
	}
	for in, want := range cases {
		require.Equal(t, want, Token(in), "Token(%q)", in)
	}
}

func FuzzRedactNeverLeaks(f *testing.F) {
	f.Add("echo ", "", 0, 40)
	f.Add("%2D", "<html>", 10, 30)
	f.Fuzz(func(t *testing.T, pre, post string, from, to int) {
		r := New(secret)
		if from < 0 || to > len(secret) || from+MinRun > to {
			return
		}
		part := secret[from:to]
		out := r.String(pre + part + post)
		if l := leaks(out, part); len(l) > 0 && !strings.Contains(strings.ToLower(pre+post), strings.ToLower(l[0])) {
			t.Fatalf("%q leaked from %q", l, out)
		}
	})
}

func benchLine(b *testing.B, line string) {
	r := New(secret, clientID)
	for i := range 100 {
		r.Add(fmt.Sprintf("access-production-%08x-1111-4222-8333-444455556666", i))
	}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		_ = r.String(line)
	}
}

func BenchmarkLogLineClean(b *testing.B) {
	benchLine(b, "I! [inputs.plaid] Test Chase: 12 new transactions (3 pending), 0 archived over 4 accounts in 183ms")
}

func BenchmarkLogLineWithToken(b *testing.B) {
	benchLine(b, "E! [inputs.plaid] Test Chase: /transactions/sync: HTTP 502: unexpected response: \"<html>"+accessToken+"</html>\"")
}

func BenchmarkErrorBodyEscaped(b *testing.B) {
	benchLine(b, `E! INVALID_REQUEST: {"access_token":"`+strings.ReplaceAll(accessToken, "-", `\u002d`)+`","secret":"`+secret+`"} (HTTP 400)`+strings.Repeat(" padding", 20))
}

// With the access tokens of 10,000 items registered, any 12 characters of
// any of them are found, in any case, and text that only resembles them
// is left alone.
func TestTenThousandRegisteredTokens(t *testing.T) {
	var tokens []string
	for i := range 10000 {
		tokens = append(tokens, fmt.Sprintf("access-production-%08x-%04x-4222-8333-%012x", i*7919, i, i*104729))
	}
	r := New(tokens...)
	for i, tok := range tokens {
		body := tok[len("access-production-"):]
		from := i % (len(body) - MinRun)
		part := body[from : from+MinRun]
		if i%2 == 1 {
			part = strings.ToUpper(part)
		}
		got := r.String("echo: " + part + " end")
		require.NotContains(t, got, part, "token %d", i)
	}
	for _, clean := range []string{"ffffffff-ffff-5222-9333-ffffffffffff", "12345678-0000-1111-2222-333344445555"} {
		require.Equal(t, "id "+clean, r.String("id "+clean))
	}
}

// BenchmarkRegisterTokens reports the memory 10,000 registered access
// tokens keep (one per item).
func BenchmarkRegisterTokens(b *testing.B) {
	var tokens []string
	for i := range 10000 {
		tokens = append(tokens, fmt.Sprintf("access-production-%08x-%04x-4222-8333-%012x", i*7919, i, i*104729))
	}
	var kept uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := New(tokens...)
		runtime.GC()
		runtime.ReadMemStats(&after)
		kept = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(r)
	}
	b.ReportMetric(float64(kept)/10000, "B/token")
}
