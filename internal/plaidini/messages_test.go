package plaidini

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// leakWindow is how many consecutive characters of a value a message may
// never hold.
const leakWindow = 12

// leakedPart returns leakWindow consecutive characters of value found in
// msg, or "". The kind that starts a Plaid token ("access-production-") is
// documented and says nothing secret, so it counts as one character.
func leakedPart(msg, value string) string {
	for _, kind := range tokenKinds {
		msg = strings.ReplaceAll(msg, kind, "\x00")
		value = strings.ReplaceAll(value, kind, "\x00")
	}
	runes := []rune(value)
	for i := 0; i+leakWindow <= len(runes); i++ {
		w := string(runes[i : i+leakWindow])
		quoted := strconv.Quote(w) // as %q would show it
		if strings.Contains(msg, w) || strings.Contains(msg, quoted[1:len(quoted)-1]) {
			return w
		}
	}
	return ""
}

// messagesOf returns every message reading data gives: the error, or the
// Settings error and each skipped section's warning, and the Key of each
// *ParseError, which callers may print.
func messagesOf(data []byte) []string {
	var out []string
	addError := func(err error) {
		out = append(out, err.Error())
		list := []error{err}
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			list = joined.Unwrap()
		}
		for _, e := range list {
			var pe *ParseError
			if errors.As(e, &pe) {
				out = append(out, pe.Key)
			}
		}
	}
	f, err := Parse("plaid.ini", data)
	if err != nil {
		addError(err)
		return out
	}
	st, err := f.Settings()
	if err != nil {
		addError(err)
	}
	for _, s := range st.Skipped {
		out = append(out, s.String())
	}
	return out
}

func TestTypoMessagesNameFileLineAndKey(t *testing.T) {
	const (
		token  = "access-production-8f3a9c2e-41b7-4d2a-9e6f-0c1d2e3f4a5b"
		secret = "0123456789abcdef0123456789abcd"
	)
	tests := []struct {
		name    string
		input   string
		line    int
		key     string // "" when the line has no key
		say     string // part of the message
		skipped bool   // a warning about a skipped section, not an error
	}{
		{"token without '='", "[Chase]\naccess_token " + token + "\n", 2, "access_token", `"access_token" has no '=' (or ':') before its value "access-production-8f3a…" (54 characters)`, false},
		{"secret without '='", "[PLAID]\nclient_id = id\nsecret\t" + secret + "\n", 3, "secret", `"secret" has no '=' (or ':') before its value "0123…" (30 characters)`, false},
		{"misspelt key without '='", "[Chase]\nacess_token " + token + "\n", 2, "acess_token", `"acess_token" has no '='`, false},
		{"a token alone", "[Chase]\n" + token + "\n", 2, "", `the line "access-production-8f3a…" (54 characters) in [Chase] is neither`, false},
		{"secret where the key belongs", "[PLAID]\n" + secret + " = x\n" + secret + " y\n", 3, "", `[PLAID] "0123…" (30 characters) has no '='`, false},
		{"a secret alone", "[PLAID]\n" + secret + "\n", 2, "", `the line "0123…" (30 characters) in [PLAID]`, false},
		{"public token without '='", "[Chase]\npublic_token public-sandbox-" + secret + "\n", 2, "public_token", `"public-sandbox-0123…"`, false},
		{"token before any section", "access_token = " + token + "\n[Chase]\n", 1, "access_token", `key "access_token" comes before any [section] header`, false},
		{"token twice", "[Chase]\naccess_token = " + token + "\nACCESS_TOKEN: " + token + "x\n", 3, "access_token", `key "access_token" appears twice in [Chase] (the first one is on line 2)`, false},
		{"token in a broken header", "[Chase]\n[" + token + "\n", 2, "", "section header \"[access-…\" is missing its closing ']'", false},
		{"secret with '%'", "[PLAID]\nsecret = " + secret[:10] + "%" + secret[10:] + "\n", 2, "secret", `[PLAID] "secret": "0123…" (31 characters) holds a '%'`, false},
		{"secret with a comment", "[PLAID]\nsecret = " + secret + " # sandbox\n", 2, "secret", `[PLAID] "secret": "0123…" (40 characters) holds a space`, false},
		{"token with a comment", "[Chase]\naccess_token = " + token + " ; relinked\n", 2, "access_token", `item [Chase]: access_token "access-production-8f3a…" (65 characters) holds a space`, true},
		{"token on the next line", "[Chase]\naccess_token =\n  " + token + "\n", 2, "access_token", "continues on the next line", true},
		{"token with '%%'", "[Chase]\naccess_token = " + token + "%%\n", 2, "access_token", "holds a '%'", true},
		{"commented-out token", "[Chase]\n# access_token = " + token + "\n", 1, "", "item [Chase] has no access_token", true},
		{"bad reference next to a token", "[Chase]\naccess_token = " + token + "\nitem_id = %(" + secret + ")s\n", 3, "item_id", `[Chase] "item_id": %(01234567…)s refers to a key`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("conf/plaid.ini", []byte(tc.input))
			var msg string
			if err == nil {
				var st Settings
				st, err = f.Settings()
				if tc.skipped {
					require.NoError(t, err)
					require.Len(t, st.Skipped, 1)
					s := st.Skipped[0]
					require.Equal(t, "conf/plaid.ini", s.Path)
					require.Equal(t, tc.line, s.Line)
					require.Equal(t, "Chase", s.Section)
					msg = s.String()
				}
			}
			if !tc.skipped {
				require.Error(t, err)
				var pe *ParseError
				require.True(t, errors.As(err, &pe), "want *ParseError, got %T", err)
				require.Equal(t, "conf/plaid.ini", pe.Path)
				require.Equal(t, tc.line, pe.Line)
				require.Equal(t, tc.key, pe.Key)
				msg = err.Error()
			}
			t.Log(msg)
			require.True(t, strings.HasPrefix(msg, "conf/plaid.ini:"+strconv.Itoa(tc.line)+": "), msg)
			require.Contains(t, msg, tc.say)
			for _, v := range []string{token, secret} {
				require.Empty(t, leakedPart(msg, v), "the message quotes a credential: %s", msg)
			}
		})
	}
}

// TestMessagesNeverQuoteValues reads generated files full of typos and
// checks every message they give for a run of any value written in them.
func TestMessagesNeverQuoteValues(t *testing.T) {
	g := newINIGen(2, 0.3)
	var files, messages, values int
	for range 6000 {
		data, written := g.file()
		files++
		values += len(written)
		for _, msg := range messagesOf(data) {
			messages++
			for _, v := range written {
				if part := leakedPart(msg, v); part != "" {
					t.Fatalf("message quotes %q of the value %q:\n%s\nfile: %q", part, v, msg, data)
				}
			}
		}
	}
	t.Logf("%d files holding %d values gave %d messages; none quotes %d consecutive characters of a value", files, values, messages, leakWindow)
	if messages < files/2 {
		t.Fatalf("only %d messages from %d files: the generator makes too few mistakes", messages, files)
	}
}
