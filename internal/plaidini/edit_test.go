package plaidini

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/edit")

// editCase is one edit of one input file; the result is compared byte for
// byte with testdata/edit/<input>.<name>.golden.
type editCase struct {
	name string
	edit func(*File) error
}

var goldenEdits = []editCase{
	{"add", func(f *File) error {
		return f.AddSection("New Bank", [][2]string{{"access_token", "access-sandbox-new"}})
	}},
	{"set_existing", func(f *File) error { return f.SetKey("Test Chase", "access_token", "access-sandbox-replaced") }},
	{"set_new", func(f *File) error { return f.SetKey("Test Chase", "disabled", "true") }},
	{"set_other_case", func(f *File) error { return f.SetKey("Credit Union", "ACCESS_TOKEN", "access-sandbox-cu2") }},
	{"remove_middle", func(f *File) error { return f.RemoveSection("Test Chase") }},
	{"remove_last", func(f *File) error { return f.RemoveSection("Credit Union") }},
}

func TestEditGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/edit/*.ini")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		original, err := os.ReadFile(in)
		require.NoError(t, err)
		for _, ec := range goldenEdits {
			name := strings.TrimSuffix(filepath.Base(in), ".ini") + "." + ec.name
			t.Run(name, func(t *testing.T) {
				f, err := Parse(in, original)
				require.NoError(t, err)
				require.NoError(t, ec.edit(f))
				golden := filepath.Join("testdata/edit", name+".golden")
				if *updateGolden {
					require.NoError(t, os.WriteFile(golden, f.Bytes(), 0o644))
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err)
				require.Equal(t, string(want), string(f.Bytes()))
				// The result must itself parse to the same content.
				g, err := Parse(golden, f.Bytes())
				require.NoError(t, err)
				require.True(t, modelsEqual(f.model(), g.model()))
			})
		}
	}
}

func TestEditSemantics(t *testing.T) {
	const base = "[PLAID]\nclient_id = id\n\n[Test Chase]\naccess_token = access-sandbox-1\n"
	f, err := Parse("x.ini", []byte(base))
	require.NoError(t, err)

	require.NoError(t, f.AddSection("Bank Two", [][2]string{{"access_token", "access-sandbox-2"}, {"disabled", "yes"}}))
	require.NoError(t, f.SetKey("PLAID", "secret", "sec"))
	require.NoError(t, f.SetKey("Test Chase", "access_token", "access-sandbox-9"))
	require.Equal(t, "[PLAID]\nclient_id = id\nsecret = sec\n\n[Test Chase]\naccess_token = access-sandbox-9\n\n[Bank Two]\naccess_token = access-sandbox-2\ndisabled = yes\n", string(f.Bytes()))

	st, err := f.Settings()
	require.NoError(t, err)
	require.Equal(t, []Item{
		{Name: "Test Chase", AccessToken: "access-sandbox-9", Line: 5},
		{Name: "Bank Two", AccessToken: "access-sandbox-2", Disabled: true, Line: 8},
	}, st.Items)

	require.NoError(t, f.RemoveSection("Bank Two"))
	require.NoError(t, f.RemoveSection("Test Chase"))
	require.Equal(t, []string{"PLAID"}, f.SectionNames())
	require.NoError(t, f.AddSection("Test Chase", [][2]string{{"access_token", "access-sandbox-1"}}))
	require.Equal(t, "[PLAID]\nclient_id = id\nsecret = sec\n\n[Test Chase]\naccess_token = access-sandbox-1\n", string(f.Bytes()),
		"remove then add restores the layout")
}

func TestEditErrors(t *testing.T) {
	const base = "[PLAID]\nclient_id = id\n[A]\naccess_token = t\n"
	tests := []struct {
		name string
		edit func(*File) error
		msg  string
	}{
		{"add existing", func(f *File) error { return f.AddSection("A", nil) }, "section [A] already exists (line 3)"},
		{"add empty name", func(f *File) error { return f.AddSection("", nil) }, "the name is empty"},
		{"add bracket", func(f *File) error { return f.AddSection("a]b", nil) }, "contains '[' or ']'"},
		{"add newline", func(f *File) error { return f.AddSection("a\nb", nil) }, "control character"},
		{"add spaces", func(f *File) error { return f.AddSection(" a", nil) }, "starts or ends with a space"},
		{"add duplicate keys", func(f *File) error {
			return f.AddSection("B", [][2]string{{"k", "1"}, {"K", "2"}})
		}, `key "K" given twice`},
		{"add bad key", func(f *File) error { return f.AddSection("B", [][2]string{{"a=b", "1"}}) }, "cannot contain '='"},
		{"add comment key", func(f *File) error { return f.AddSection("B", [][2]string{{"#k", "1"}}) }, "nor start with"},
		{"set missing section", func(f *File) error { return f.SetKey("Nope", "k", "v") }, "section [Nope] does not exist"},
		{"set multi-line", func(f *File) error { return f.SetKey("A", "k", "a\nb") }, "must be a single line"},
		{"set padded", func(f *File) error { return f.SetKey("A", "k", " v") }, "starts or ends with spaces"},
		{"remove missing", func(f *File) error { return f.RemoveSection("Nope") }, "section [Nope] does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("x.ini", []byte(base))
			require.NoError(t, err)
			require.ErrorContains(t, tc.edit(f), tc.msg)
			require.Equal(t, base, string(f.Bytes()), "a failed edit changes nothing")
		})
	}
}

// An edit that would change how neighbouring lines read is refused.
func TestEditRefusesMeaningChange(t *testing.T) {
	// " [B]" follows a header, so it is a header; after removing [A] it would
	// follow a key and become a continuation of k.
	const base = "[P]\nk = 1\n[A]\n [B]\nx = 2\n"
	f, err := Parse("x.ini", []byte(base))
	require.NoError(t, err)
	require.Equal(t, []string{"P", "A", "B"}, f.SectionNames())
	require.ErrorContains(t, f.RemoveSection("A"), "would change the meaning of neighbouring lines")
	require.Equal(t, base, string(f.Bytes()))

	// Appending a key to [A] indents it like the following header, which keeps [B] a header.
	require.NoError(t, f.SetKey("A", "k", "v"))
	require.Equal(t, []string{"P", "A", "B"}, f.SectionNames())
	got, ok := f.Get("A", "k")
	require.True(t, ok)
	require.Equal(t, "v", got)
}
