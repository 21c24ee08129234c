package plaidini

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// differentialFiles is how many generated files are read both here and by
// Python's configparser.
const differentialFiles = 25000

// pyResult is what testdata/configparser_read.py reports for one file.
type pyResult struct {
	Error   string             `json:"error"`
	Section *string            `json:"section"` // the section an error names
	Plaid   map[string]*string `json:"plaid"`
	Items   []pyItem           `json:"items"`
	Skipped []string           `json:"skipped"`
}

type pyItem struct {
	Name        string  `json:"name"`
	AccessToken string  `json:"access_token"`
	RawToken    string  `json:"raw_token"`
	ItemID      *string `json:"item_id"`
	Disabled    bool    `json:"disabled"`
}

// readWithConfigparser reads every file in one Python process.
func readWithConfigparser(t *testing.T, files [][]byte) []pyResult {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to compare with configparser: %v", err)
	}
	encoded := make([]string, len(files))
	for i, f := range files {
		encoded[i] = base64.StdEncoding.EncodeToString(f)
	}
	in, err := json.Marshal(encoded)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-I", "testdata/configparser_read.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("configparser_read.py: %v\n%s", err, stderr.String())
	}
	var results []pyResult
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("configparser_read.py output: %v", err)
	}
	if len(results) != len(files) {
		t.Fatalf("configparser_read.py read %d files, want %d", len(results), len(files))
	}
	return results
}

// goResult is what this package reads from a file, in pyResult's terms,
// with the deliberate rules that made it differ.
type goResult struct {
	data      []byte
	err       error
	errs      []*ParseError // nil entries for errors of other types
	st        Settings
	skipRules map[string]strictRule
}

func readHere(data []byte) goResult {
	f, err := Parse("gen.ini", data)
	if err == nil {
		var st Settings
		st, err = f.Settings()
		if err == nil {
			r := goResult{data: data, st: st, skipRules: map[string]strictRule{}}
			for _, s := range st.Skipped {
				r.skipRules[s.Section] = s.rule
			}
			return r
		}
	}
	r := goResult{data: data, err: err}
	list := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		list = joined.Unwrap()
	}
	for _, e := range list {
		var pe *ParseError
		errors.As(e, &pe)
		r.errs = append(r.errs, pe)
	}
	return r
}

// lineText returns line n of data, trimmed.
func lineText(data []byte, n int) string {
	from := 0
	if bytes.HasPrefix(data, bom) {
		from = len(bom)
	}
	for _, l := range splitLines(data, from) {
		if l.num == n {
			return strings.TrimFunc(string(data[l.start:l.end]), isSpace)
		}
	}
	return ""
}

// deliberateError checks that an error here that configparser does not
// share is one a rule explains, and returns that rule.
func deliberateError(py pyResult, here goResult, pe *ParseError) (strictRule, bool) {
	if pe == nil {
		return "", false
	}
	text := lineText(here.data, pe.Line)
	switch pe.rule {
	case ruleBracket:
		return pe.rule, strings.HasPrefix(text, "[")
	case ruleDefaultTwice:
		return pe.rule, strings.HasPrefix(text, "[DEFAULT]")
	case ruleSecretPercent, ruleSecretForm:
		raw := py.Plaid["raw_secret"]
		if raw == nil {
			return pe.rule, false
		}
		rule, _ := credentialProblem(*raw)
		return pe.rule, rule == pe.rule
	}
	return "", false
}

// compareReads returns the deliberate rule behind a difference ("" when
// both read the same) or an error for a difference no rule explains.
func compareReads(py pyResult, here goResult) (strictRule, error) {
	if here.err != nil {
		if py.Error != "" {
			return "", nil
		}
		var first strictRule
		for _, pe := range here.errs {
			rule, ok := deliberateError(py, here, pe)
			if !ok {
				return "", fmt.Errorf("refused here (%v) but configparser reads it", here.err)
			}
			if first == "" {
				first = rule
			}
		}
		return first, nil
	}
	if py.Error != "" {
		// configparser fails on interpolating in a section skipped here
		// for a '%' in its token, before any interpolation.
		if strings.HasPrefix(py.Error, "Interpolation") && py.Section != nil && here.skipRules[*py.Section] == ruleSecretPercent {
			return ruleSecretPercent, nil
		}
		return "", fmt.Errorf("configparser fails (%s) but it reads here", py.Error)
	}
	for key, got := range map[string]string{"client_id": here.st.ClientID, "secret": here.st.Secret, "environment": here.st.Environment} {
		want := ""
		if v := py.Plaid[key]; v != nil {
			want = *v
		}
		if got != want {
			return "", fmt.Errorf("[PLAID] %s: configparser reads %q, here %q", key, want, got)
		}
	}
	var rule strictRule
	var pyItems []pyItem
	for _, it := range py.Items {
		if r := here.skipRules[it.Name]; r != "" {
			// read by configparser, skipped here on purpose: the token it
			// read must be one the rule refuses
			if why, _ := credentialProblem(it.RawToken); why != r {
				return "", fmt.Errorf("[%s] skipped here (%s) but configparser reads the token %q", it.Name, r, it.RawToken)
			}
			rule = r
			continue
		}
		pyItems = append(pyItems, it)
	}
	var goItems []pyItem
	for _, it := range here.st.Items {
		id := it.ItemID
		goItems = append(goItems, pyItem{Name: it.Name, AccessToken: it.AccessToken, ItemID: &id, Disabled: it.Disabled})
	}
	for i := range pyItems {
		if pyItems[i].ItemID == nil {
			empty := ""
			pyItems[i].ItemID = &empty
		}
	}
	if !slices.EqualFunc(pyItems, goItems, func(a, b pyItem) bool {
		return a.Name == b.Name && a.AccessToken == b.AccessToken && *a.ItemID == *b.ItemID && a.Disabled == b.Disabled
	}) {
		return "", fmt.Errorf("items differ:\nconfigparser %s\nhere         %s", itemsString(pyItems), itemsString(goItems))
	}
	var goSkipped []string
	for _, s := range here.st.Skipped {
		if s.rule == "" || slices.Contains(py.Skipped, s.Section) {
			goSkipped = append(goSkipped, s.Section)
		}
	}
	if !slices.Equal(py.Skipped, goSkipped) {
		return "", fmt.Errorf("skipped sections differ: configparser %q, here %q", py.Skipped, goSkipped)
	}
	return rule, nil
}

func itemsString(items []pyItem) string {
	var parts []string
	for _, it := range items {
		parts = append(parts, fmt.Sprintf("[%s] token=%q item_id=%q disabled=%v", it.Name, it.AccessToken, *it.ItemID, it.Disabled))
	}
	return strings.Join(parts, "; ")
}

// TestAgreesWithConfigparser reads generated files with Python's
// configparser, as plaid-sync did, and with this package: both must read
// the same sections, credentials, tokens, item ids and disabled flags, or
// refuse the same files, except where a documented rule says otherwise.
func TestAgreesWithConfigparser(t *testing.T) {
	start := time.Now()
	g := newINIGen(1, 0.04)
	files := make([][]byte, 0, differentialFiles)
	for range differentialFiles {
		data, _ := g.file()
		files = append(files, data)
	}
	// A file that starts with a byte order mark is also given to
	// configparser without it, to compare everything else in it.
	withoutBOM := map[int]int{}
	for i := range differentialFiles {
		if rest, ok := bytes.CutPrefix(files[i], bom); ok {
			withoutBOM[i] = len(files)
			files = append(files, rest)
		}
	}
	pyStart := time.Now()
	py := readWithConfigparser(t, files)
	pyTime := time.Since(pyStart)

	deliberate := map[strictRule]int{}
	refusedAs := map[string]int{} // configparser's exception for files both refuse
	var agreedRead, agreedRefused, disagreements, items, skipped, interpolated, inherited int
	for i := range differentialFiles {
		here := readHere(files[i])
		want := py[i]
		if j, ok := withoutBOM[i]; ok {
			if want.Error == "" {
				t.Errorf("file %d: configparser reads a file starting with a byte order mark (%+v)", i, want)
			}
			deliberate[ruleBOM]++
			want = py[j]
		}
		rule, err := compareReads(want, here)
		switch {
		case err != nil:
			disagreements++
			if disagreements <= 10 {
				t.Errorf("file %d: %v\n%q", i, err, files[i])
			}
		case rule != "":
			deliberate[rule]++
		case here.err != nil:
			agreedRefused++
			refusedAs[want.Error]++
		default:
			agreedRead++
			items += len(here.st.Items)
			skipped += len(here.st.Skipped)
			f, _ := Parse("gen.ini", files[i])
			for _, it := range here.st.Items {
				if raw, _ := f.Get(it.Name, "item_id"); strings.Contains(raw, "%") {
					interpolated++
				}
				if slices.Index(f.Keys(it.Name), "access_token") < 0 {
					inherited++
				}
			}
		}
	}
	t.Logf("compared %d generated files with configparser in %s (%s of it in python3): %d read alike, %d refused by both, %d disagreements",
		differentialFiles, time.Since(start).Round(time.Millisecond), pyTime.Round(time.Millisecond), agreedRead, agreedRefused, disagreements)
	t.Logf("in the files read alike: %d items (%d with an interpolated item_id, %d with the access_token of [DEFAULT]), %d skipped sections",
		items, interpolated, inherited, skipped)
	for _, name := range slices.Sorted(maps.Keys(refusedAs)) {
		t.Logf("refused by both, configparser raising %-35s %5d files", name, refusedAs[name])
	}
	rules := []strictRule{ruleBOM, ruleBracket, ruleDefaultTwice, ruleSecretPercent, ruleSecretForm}
	sort.Slice(rules, func(i, j int) bool { return rules[i] < rules[j] })
	for _, rule := range rules {
		t.Logf("deliberate difference %-45q %5d files", rule, deliberate[rule])
		if deliberate[rule] == 0 {
			t.Errorf("no generated file exercised the deliberate difference %q", rule)
		}
	}
	if disagreements > 0 {
		t.Errorf("%d of %d files read differently from configparser", disagreements, differentialFiles)
	}
	// The corpus must be mostly readable, or agreeing would prove little.
	if agreedRead < differentialFiles/3 {
		t.Errorf("only %d of %d files were read alike; the generator makes too many broken files", agreedRead, differentialFiles)
	}
}
