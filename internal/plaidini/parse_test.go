package plaidini

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseValues(t *testing.T) {
	type kv struct{ section, key, value string }
	tests := []struct {
		name     string
		input    string
		sections []string
		want     []kv
		missing  []kv // section/key pairs that must not be found (value unused)
	}{
		{
			name:     "plaid-sync file",
			input:    "[PLAID]\nclient_id = 5f00\nsecret = 8c00\nenvironment = sandbox\n\n[plaid-sync]\ndbfile = /data/transactions.db\n\n[Test Chase]\naccess_token = access-sandbox-1234\n",
			sections: []string{"PLAID", "plaid-sync", "Test Chase"},
			want: []kv{
				{"PLAID", "client_id", "5f00"}, {"PLAID", "environment", "sandbox"},
				{"plaid-sync", "dbfile", "/data/transactions.db"},
				{"Test Chase", "access_token", "access-sandbox-1234"},
			},
		},
		{
			name:     "colon delimiter, spacing and case-insensitive keys",
			input:    "[A]\nClient_ID:abc\nSecret   =   s p a c e d   \nurl = http://x:1/a=b\n",
			sections: []string{"A"},
			want:     []kv{{"A", "client_id", "abc"}, {"A", "CLIENT_ID", "abc"}, {"A", "secret", "s p a c e d"}, {"A", "url", "http://x:1/a=b"}},
		},
		{
			name:     "first delimiter wins",
			input:    "[A]\nk: v = w\nj = x: y\n",
			sections: []string{"A"},
			want:     []kv{{"A", "k", "v = w"}, {"A", "j", "x: y"}},
		},
		{
			name:     "comments, indented comments and no inline comment stripping",
			input:    "# top\n; also\n[A]\n   # indented\nk = v # not a comment\n\t; tab comment\n",
			sections: []string{"A"},
			want:     []kv{{"A", "k", "v # not a comment"}},
			missing:  []kv{{"A", "# indented", ""}},
		},
		{
			name:     "continuation lines with blank and comment lines inside",
			input:    "[A]\nk = one\n  two\n\n  # skipped\n  three\n\nnext = 1\n",
			sections: []string{"A"},
			want:     []kv{{"A", "k", "one\ntwo\n\nthree"}, {"A", "next", "1"}},
		},
		{
			name:     "indented key after key is a continuation",
			input:    "[A]\na = 1\n  b = 2\n",
			sections: []string{"A"},
			want:     []kv{{"A", "a", "1\nb = 2"}},
			missing:  []kv{{"A", "b", ""}},
		},
		{
			name:     "indented line after a header is a key",
			input:    "[A]\n   a = 1\n   b = 2\n",
			sections: []string{"A"},
			want:     []kv{{"A", "a", "1"}, {"A", "b", "2"}},
		},
		{
			name:     "empty value",
			input:    "[A]\nk =\nj:\n",
			sections: []string{"A"},
			want:     []kv{{"A", "k", ""}, {"A", "j", ""}},
		},
		{
			name:     "CRLF, BOM and no final newline",
			input:    "\ufeff[PLAID]\r\nclient_id = a\r\n\r\n[B]\r\naccess_token = t",
			sections: []string{"PLAID", "B"},
			want:     []kv{{"PLAID", "client_id", "a"}, {"B", "access_token", "t"}},
		},
		{
			name:     "lone carriage returns end lines",
			input:    "[A]\rk = v\r",
			sections: []string{"A"},
			want:     []kv{{"A", "k", "v"}},
		},
		{
			name:     "section names keep case and inner spaces; text after ] is ignored",
			input:    "[My  Bank]\nk = 1\n[plaid] ; lower case\nk = 2\n",
			sections: []string{"My  Bank", "plaid"},
			want:     []kv{{"My  Bank", "k", "1"}, {"plaid", "k", "2"}},
			missing:  []kv{{"PLAID", "k", ""}},
		},
		{
			name:     "DEFAULT values are inherited",
			input:    "[DEFAULT]\ndisabled = no\n[A]\naccess_token = t\n[B]\ndisabled = yes\n",
			sections: []string{"DEFAULT", "A", "B"},
			want:     []kv{{"A", "disabled", "no"}, {"B", "disabled", "yes"}, {"DEFAULT", "disabled", "no"}},
		},
		{
			name:     "empty file",
			input:    "",
			sections: []string{},
			missing:  []kv{{"PLAID", "client_id", ""}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("x.ini", []byte(tc.input))
			require.NoError(t, err)
			require.Equal(t, tc.sections, f.SectionNames())
			require.Equal(t, []byte(tc.input), f.Bytes(), "parsing must keep the bytes")
			for _, w := range tc.want {
				require.True(t, f.Has(w.section))
				got, ok := f.Get(w.section, w.key)
				require.True(t, ok, "%s/%s", w.section, w.key)
				require.Equal(t, w.value, got, "%s/%s", w.section, w.key)
			}
			for _, m := range tc.missing {
				_, ok := f.Get(m.section, m.key)
				require.False(t, ok, "%s/%s", m.section, m.key)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		line  int
		msg   string
	}{
		{"key before any section", "# c\nk = v\n", 2, `key "k" comes before any [section] header`},
		{"indented key before any section", "\n   k = v\n", 2, "comes before any [section] header"},
		{"unterminated header", "[A]\nk = v\n[Test Chase\n", 3, `section header "[Test Chase" is missing its closing ']'`},
		{"empty header", "[]\n", 1, "section header has no name"},
		{"duplicate section", "[A]\nk = 1\n\n[A]\n", 4, "section [A] appears twice (the first one is on line 1)"},
		{"duplicate key, other case", "[A]\nToken = 1\ntoken = 2\n", 3, `key "token" appears twice in [A] (the first one is on line 2)`},
		{"key without delimiter or value", "[A]\naccess_token\n", 2, `[A] "access_token" has no '=' and no value`},
		{"word without delimiter", "[A]\nnope\n", 2, `the line "nope" in [A] is neither a 'key = value' line nor a comment`},
		{"value without key", "[A]\n = v\n", 2, "line in [A] has a value but no key name"},
		{"invalid UTF-8", "[A]\nk = \xff\n", 2, "not valid UTF-8"},
		{"CRLF line numbers", "[A]\r\nk = 1\r\n\r\nbad\r\n", 4, `the line "bad" in [A]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("conf/plaid.ini", []byte(tc.input))
			require.Error(t, err)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "want *ParseError, got %T", err)
			require.Equal(t, "conf/plaid.ini", pe.Path)
			require.Equal(t, tc.line, pe.Line)
			require.Contains(t, pe.Msg, tc.msg)
			require.Contains(t, err.Error(), "conf/plaid.ini:"+strconv.Itoa(tc.line)+": ")
		})
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    Settings
		errs    []string // each must appear in the error
		noError bool
	}{
		{
			name:    "credentials and items in file order",
			input:   "[PLAID]\nclient_id = id\nsecret = sec\nenvironment = sandbox\nbase_url = http://127.0.0.1:4580\npublic_key = legacy\n\n[plaid-sync]\ndbfile = x.db\n\n[Zeta]\naccess_token = access-sandbox-z\n\n[Alpha]\naccess_token = access-sandbox-a\ndisabled = On\n",
			noError: true,
			want: Settings{
				ClientID: "id", Secret: "sec", Environment: "sandbox", BaseURL: "http://127.0.0.1:4580",
				Items: []Item{
					{Name: "Zeta", AccessToken: "access-sandbox-z", Line: 11},
					{Name: "Alpha", AccessToken: "access-sandbox-a", Disabled: true, Line: 14},
				},
			},
		},
		{
			name:    "no PLAID section is fine",
			input:   "[A]\naccess_token = t\ndisabled = 0\n",
			noError: true,
			want:    Settings{Items: []Item{{Name: "A", AccessToken: "t", Line: 1}}},
		},
		{
			name:    "sections without a usable access_token are skipped, the others read",
			input:   "[PLAID]\nclient_id = x\n\n[NoToken]\ndisabled = yes\n\n[Empty]\naccess_token =\n\n[Commented]\n# access_token = access-sandbox-1\n\n[plaid]\nclient_id = y\n\n[Good]\naccess_token = g\nitem_id = it-1\n",
			noError: true,
			want: Settings{ClientID: "x", Items: []Item{{Name: "Good", AccessToken: "g", ItemID: "it-1", Line: 16}},
				Skipped: []Skipped{
					{Path: "x.ini", Section: "NoToken", Line: 4, Reason: "item [NoToken] has no access_token; link it with linktool or remove the section"},
					{Path: "x.ini", Section: "Empty", Line: 8, Reason: "item [Empty] has an empty access_token; link it again with linktool or remove the section"},
					{Path: "x.ini", Section: "Commented", Line: 10, Reason: "item [Commented] has no access_token; link it with linktool or remove the section"},
					{Path: "x.ini", Section: "plaid", Line: 13, Reason: "section [plaid] has no access_token; credentials belong in [PLAID] (section names are case-sensitive)"},
				}},
		},
		{
			name:  "what configparser fails on is an error naming the key's line",
			input: "[DEFAULT]\nref = 100%%\n[BadBool]\naccess_token = t\ndisabled = maybe\n\n[BadRef]\naccess_token = u\nitem_id = %(nothing)s\n[Good]\naccess_token = g\nitem_id = %(ref)s / 50%%\n",
			errs: []string{
				`x.ini:5: [BadBool] "disabled": "maybe" is not a boolean`,
				`x.ini:9: [BadRef] "item_id": %(nothing)s refers to a key that neither [BadRef] nor [DEFAULT] sets`,
			},
			want: Settings{Items: []Item{{Name: "Good", AccessToken: "g", ItemID: "100% / 50%", Line: 10}}},
		},
		{
			name:    "DEFAULT keys are inherited, access_token included",
			input:   "[DEFAULT]\nAccess_Token: shared\ndisabled = on\n[A]\n[B]\ndisabled = off\naccess_token = own\n",
			noError: true,
			want:    Settings{Items: []Item{{Name: "A", AccessToken: "shared", Disabled: true, Line: 4}, {Name: "B", AccessToken: "own", Line: 5}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("x.ini", []byte(tc.input))
			require.NoError(t, err)
			got, err := f.Settings()
			if tc.noError {
				require.NoError(t, err)
			}
			for _, e := range tc.errs {
				require.ErrorContains(t, err, e)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseBool(t *testing.T) {
	for _, s := range []string{"1", "yes", "TRUE", "on", "True"} {
		b, err := ParseBool(s)
		require.NoError(t, err)
		require.True(t, b, s)
	}
	for _, s := range []string{"0", "no", "false", "OFF"} {
		b, err := ParseBool(s)
		require.NoError(t, err)
		require.False(t, b, s)
	}
	for _, s := range []string{"", "2", "y", "enabled"} {
		_, err := ParseBool(s)
		require.Error(t, err, s)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "missing.ini"))
	require.ErrorContains(t, err, "missing.ini")
	require.ErrorIs(t, err, os.ErrNotExist)

	path := filepath.Join(dir, "bad.ini")
	require.NoError(t, os.WriteFile(path, []byte("[A]\nnope\n"), 0o600))
	_, err = Load(path)
	require.EqualError(t, err, path+`:2: the line "nope" in [A] is neither a 'key = value' line nor a comment`)
}

func TestInsecurePermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plaid.ini")
	require.NoError(t, os.WriteFile(path, []byte("[A]\n"), 0o600))
	for _, tc := range []struct {
		mode     os.FileMode
		insecure bool
	}{{0o600, false}, {0o400, false}, {0o640, false}, {0o660, false}, {0o604, true}, {0o602, true}, {0o644, true}} {
		require.NoError(t, os.Chmod(path, tc.mode))
		msg := InsecurePermissions(path)
		if tc.insecure {
			require.Contains(t, msg, "chmod o-rwx "+path, "mode %o", tc.mode)
		} else {
			require.Empty(t, msg, "mode %o", tc.mode)
		}
	}
}

func TestValueInterpolation(t *testing.T) {
	const input = "[DEFAULT]\nhost = 127.0.0.1\nport = %(PORT_NUMBER)s\nport_number = 4580\nloop = %(loop)s\n" +
		"[A]\nurl = http://%(host)s:%(port)s/x\npercent = 100%%\nraw = 100%%\nbare = 100%\nopen = %(host\nempty = %()s\nnot_s = %(host)d\nmissing = %(nothing)s\n" +
		"[B]\nhost = override\nurl = %(host)s\n"
	f, err := Parse("x.ini", []byte(input))
	require.NoError(t, err)
	for _, tc := range []struct{ section, key, want string }{
		{"A", "url", "http://127.0.0.1:4580/x"},
		{"A", "percent", "100%"},
		{"B", "url", "override"},
		{"B", "port", "4580"}, // inherited, resolved in [B]
	} {
		got, ok, err := f.Value(tc.section, tc.key)
		require.NoError(t, err, "%s/%s", tc.section, tc.key)
		require.True(t, ok)
		require.Equal(t, tc.want, got, "%s/%s", tc.section, tc.key)
	}
	raw, _ := f.Get("A", "raw")
	require.Equal(t, "100%%", raw, "Get returns the value as written")

	_, ok, err := f.Value("A", "absent")
	require.NoError(t, err)
	require.False(t, ok)

	for _, tc := range []struct {
		key  string
		line int
		msg  string
	}{
		{"bare", 10, `x.ini:10: [A] "bare": a '%' must be followed by '%' or '('`},
		{"open", 11, `x.ini:11: [A] "open": a '%(' must start a reference written %(name)s`},
		{"empty", 12, `a '%(' must start a reference`},
		{"not_s", 13, `a '%(' must start a reference`},
		{"missing", 14, `x.ini:14: [A] "missing": %(nothing)s refers to a key that neither [A] nor [DEFAULT] sets`},
		{"loop", 5, `x.ini:5: [A] "loop": %(name)s references nest more than 10 deep`},
	} {
		_, ok, err := f.Value("A", tc.key)
		require.True(t, ok)
		var pe *ParseError
		require.True(t, errors.As(err, &pe), "%s: %v", tc.key, err)
		require.Equal(t, tc.line, pe.Line, tc.key)
		require.Equal(t, tc.key, pe.Key)
		require.Contains(t, err.Error(), tc.msg)
	}
}
