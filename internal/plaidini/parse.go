// Package plaidini reads and edits the INI file that linktool and the plugin
// share, with the syntax of Python's configparser (the file comes from
// plaid-sync, which read it with configparser.ConfigParser() and its
// defaults), while keeping every byte the user wrote outside the part being
// changed.
//
// Reading follows configparser: '=' or ':' separates a key from its value,
// keys are case-insensitive and section names are not, lines starting with
// '#' or ';' are comments (also indented) while inline comments are part of
// the value, a line indented deeper than its key continues the key's value
// (blank lines inside included), a section without a key inherits it from
// [DEFAULT], and a section or key given twice is an error. Get returns a
// value as written; Value and Settings apply configparser's
// BasicInterpolation ("%%" is '%', "%(name)s" another key's value). Settings
// skips an item section with no usable access_token, as plaid-sync did,
// and says why in Settings.Skipped.
//
// Deliberate differences from configparser, each counted by the
// differential test (testdata/README.md lists them with examples):
//
//   - A UTF-8 byte order mark at the start of the file is skipped;
//     configparser fails on it (MissingSectionHeaderError).
//   - A line starting with '[' that is not a whole header ("[Chase",
//     "[A = 1", "[] = x") is an error; configparser reads the ones with '='
//     or ':' as a key of the section above.
//   - A second [DEFAULT] is an error; configparser merges the two.
//   - A credential (access_token, or secret in [PLAID]) is used exactly as
//     written and must be one word: one holding '%' (which configparser
//     would interpolate or fail on), a space (an inline comment, say), a
//     line break (a continuation line), a control or invisible character is
//     refused: the item is skipped, the secret is an error.
//
// Messages name the file, the line and the key, and never quote a
// credential or a line that does not parse beyond a short prefix
// ("access-production-8f3a…").
package plaidini

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultSection holds values every other section inherits, as in configparser.
const DefaultSection = "DEFAULT"

// ParseError reports a malformed file, naming the line and, when there is
// one, the key. Msg never holds more than a short prefix of a value.
type ParseError struct {
	Path string
	Line int
	Key  string // lower-cased key name; "" when the line has none, or it might be a credential
	Msg  string

	rule strictRule // set where configparser would have read the file
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
}

// File is the raw content of an INI file with the byte spans of its sections
// and keys, so edits can splice new text in without reformatting the rest.
type File struct {
	path     string
	data     []byte
	eol      string // line ending used for new lines: the file's first one
	sections []*section
}

type section struct {
	name      string
	line      int
	start     int // first byte of the header line
	headerEnd int // byte after the header line's terminator
	end       int // start of the next header line, or len(data)
	indent    string
	keys      []*key
}

type key struct {
	name       string // lower-cased, as configparser's optionxform
	line       int
	start      int // first byte of the key line
	valueStart int // first byte of the value on the key line
	valueEnd   int // byte after the value on the key line (trailing spaces excluded)
	end        int // byte after the last continuation line's terminator
	indent     string
	value      string
}

// line is one physical line: content excludes the terminator.
type line struct {
	num        int
	start, end int // content span
	next       int // start of the following line
}

var bom = []byte("\ufeff")

// Load reads and parses the file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(path, data)
}

// Parse parses data; path is only used in messages.
func Parse(path string, data []byte) (*File, error) {
	f := &File{path: path, data: data, eol: "\n"}
	perr := func(l line, format string, args ...any) *ParseError {
		return &ParseError{Path: path, Line: l.num, Msg: fmt.Sprintf(format, args...)}
	}

	bodyStart := 0
	if bytes.HasPrefix(data, bom) {
		bodyStart = len(bom)
	}
	lines := splitLines(data, bodyStart)
	if len(lines) > 0 && lines[0].next > lines[0].end {
		f.eol = string(data[lines[0].end:lines[0].next])
	}

	var (
		cur         *section
		curKey      *key
		keyParts    []string // value lines of curKey, blank ones included
		indentLevel = -1     // indentation of the last header or key line
		seen        = map[string]bool{}
	)
	finishKey := func() {
		if curKey != nil {
			curKey.value = strings.TrimRightFunc(strings.Join(keyParts, "\n"), isSpace)
			curKey, keyParts = nil, nil
		}
	}
	for _, l := range lines {
		raw := data[l.start:l.end]
		if !utf8.Valid(raw) {
			return nil, perr(l, "line is not valid UTF-8 text")
		}
		text := string(raw)
		trimmed := strings.TrimFunc(text, isSpace)
		if trimmed == "" {
			if curKey != nil {
				keyParts = append(keyParts, "")
			}
			continue
		}
		if trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		indentWidth := len(text) - len(strings.TrimLeftFunc(text, isSpace))
		indentChars := utf8.RuneCountInString(text[:indentWidth])
		if curKey != nil && indentChars > indentLevel {
			keyParts = append(keyParts, trimmed)
			curKey.end = l.next
			continue
		}
		finishKey()
		indentLevel = indentChars

		if trimmed[0] == '[' {
			// configparser reads a line such as "[A = 1" or "[] = x" as a
			// key of the previous section; a broken header is refused here.
			closing := strings.LastIndexByte(trimmed, ']')
			if closing < 0 {
				e := perr(l, "section header %s is missing its closing ']'", textPreview(trimmed))
				e.rule = ruleBracket
				return nil, e
			}
			name := trimmed[1:closing]
			if name == "" {
				e := perr(l, "section header has no name")
				e.rule = ruleBracket
				return nil, e
			}
			if seen[name] {
				e := perr(l, "section [%s] appears twice (the first one is on line %d)", name, f.section(name).line)
				if name == DefaultSection {
					e.rule = ruleDefaultTwice
				}
				return nil, e
			}
			seen[name] = true
			if cur != nil {
				cur.end = l.start
			}
			cur = &section{name: name, line: l.num, start: l.start, headerEnd: l.next, end: len(data), indent: text[:indentWidth]}
			f.sections = append(f.sections, cur)
			continue
		}
		delim := strings.IndexAny(trimmed, "=:")
		if cur == nil {
			if delim > 0 {
				e := perr(l, "key %s comes before any [section] header", keyLabel(strings.TrimRightFunc(trimmed[:delim], isSpace)))
				e.Key = safeKey(strings.TrimRightFunc(trimmed[:delim], isSpace))
				return nil, e
			}
			return nil, perr(l, "the line comes before any [section] header")
		}
		if delim < 0 {
			return nil, unparsedLine(perr(l, ""), cur.name, trimmed)
		}
		name := strings.TrimRightFunc(trimmed[:delim], isSpace)
		if name == "" {
			return nil, perr(l, "line in [%s] has a value but no key name", cur.name)
		}
		name = strings.ToLower(name)
		if prev := cur.key(name); prev != nil {
			e := perr(l, "key %s appears twice in [%s] (the first one is on line %d)", keyLabel(name), cur.name, prev.line)
			e.Key = safeKey(name)
			return nil, e
		}
		// Locate the value inside the original line, not the trimmed copy.
		delimAt := l.start + indentWidth + delim
		valueStart := delimAt + 1
		for valueStart < l.end {
			r, size := utf8.DecodeRune(data[valueStart:l.end])
			if !isSpace(r) {
				break
			}
			valueStart += size
		}
		valueEnd := l.start + len(strings.TrimRightFunc(text, isSpace))
		if valueEnd < valueStart {
			valueEnd = valueStart
		}
		curKey = &key{
			name: name, line: l.num, start: l.start, valueStart: valueStart, valueEnd: valueEnd,
			end: l.next, indent: text[:indentWidth],
		}
		keyParts = []string{string(data[valueStart:valueEnd])}
		cur.keys = append(cur.keys, curKey)
	}
	finishKey()
	return f, nil
}

// unparsedLine explains a line in a section that has no '=' or ':'. Such a
// line is often a key and its value with the '=' forgotten, so the value is
// shown only as a preview.
func unparsedLine(e *ParseError, section, text string) *ParseError {
	word, rest, spaced := text, "", false
	if i := strings.IndexFunc(text, isSpace); i > 0 {
		word, rest, spaced = text[:i], strings.TrimLeftFunc(text[i:], isSpace), true
	}
	switch {
	case spaced:
		e.Key = safeKey(word)
		label := secretPreview(word)
		if e.Key != "" {
			label = keyLabel(word)
		}
		e.Msg = fmt.Sprintf("[%s] %s has no '=' (or ':') before its value %s; write it as key = value", section, label, secretPreview(rest))
	case knownKeys[strings.ToLower(text)]:
		e.Key = strings.ToLower(text)
		e.Msg = fmt.Sprintf("[%s] %s has no '=' and no value", section, keyLabel(text))
	case plainWord(text):
		e.Msg = fmt.Sprintf("the line %s in [%s] is neither a 'key = value' line nor a comment", textPreview(text), section)
	default:
		e.Msg = fmt.Sprintf("the line %s in [%s] is neither a 'key = value' line nor a comment", secretPreview(text), section)
	}
	return e
}

// safeKey returns the lower-cased key name for ParseError.Key, or "" for a
// name that might be a credential typed where a key belongs.
func safeKey(name string) string {
	if knownKeys[strings.ToLower(name)] || plainWord(name) {
		return strings.ToLower(name)
	}
	return ""
}

// plainWord reports whether text is short and has no digit, so it cannot
// be a credential (Plaid's all hold digits) and may be quoted whole.
func plainWord(text string) bool {
	return utf8.RuneCountInString(text) <= shortText && !strings.ContainsAny(text, "0123456789")
}

// splitLines cuts data into lines ending in "\n", "\r\n" or a lone "\r"
// (configparser reads with universal newlines).
func splitLines(data []byte, from int) []line {
	var lines []line
	num := 1
	for i := from; i < len(data); {
		j := i
		for j < len(data) && data[j] != '\n' && data[j] != '\r' {
			j++
		}
		next := j
		switch {
		case j >= len(data):
		case data[j] == '\r' && j+1 < len(data) && data[j+1] == '\n':
			next = j + 2
		default:
			next = j + 1
		}
		lines = append(lines, line{num: num, start: i, end: j, next: next})
		num++
		i = next
	}
	return lines
}

// isSpace matches what Python's str.strip removes.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

func (f *File) section(name string) *section {
	for _, s := range f.sections {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (s *section) key(name string) *key {
	name = strings.ToLower(name)
	for _, k := range s.keys {
		if k.name == name {
			return k
		}
	}
	return nil
}

// Path returns the path given to Parse or Load.
func (f *File) Path() string { return f.path }

// Bytes returns the file's content, edits included.
func (f *File) Bytes() []byte { return bytes.Clone(f.data) }

// SectionNames returns every section name in file order, DEFAULT included.
func (f *File) SectionNames() []string {
	names := make([]string, 0, len(f.sections))
	for _, s := range f.sections {
		names = append(names, s.name)
	}
	return names
}

// Has reports whether the file has a section with exactly this name
// (section names are case-sensitive, as in configparser).
func (f *File) Has(section string) bool { return f.section(section) != nil }

// Get returns a key's value as written, without interpolation (see Value).
// Keys are case-insensitive, and a key missing from the section falls back
// to [DEFAULT], as configparser does.
func (f *File) Get(section, key string) (string, bool) {
	s := f.section(section)
	if s == nil {
		return "", false
	}
	if k := s.key(key); k != nil {
		return k.value, true
	}
	if section != DefaultSection {
		if d := f.section(DefaultSection); d != nil {
			if k := d.key(key); k != nil {
				return k.value, true
			}
		}
	}
	return "", false
}

// Keys returns the section's own key names (lower-cased) in file order.
func (f *File) Keys(section string) []string {
	s := f.section(section)
	if s == nil {
		return nil
	}
	names := make([]string, 0, len(s.keys))
	for _, k := range s.keys {
		names = append(names, k.name)
	}
	return names
}

// SectionLine returns the line number of the section's header, 0 if absent.
func (f *File) SectionLine(section string) int {
	if s := f.section(section); s != nil {
		return s.line
	}
	return 0
}
