// Package plaidini reads and edits the INI file that linktool and the plugin
// share, with the syntax of Python's configparser (the file comes from
// plaid-sync), while keeping every byte the user wrote outside the part
// being changed.
//
// Values are taken literally: configparser's %-interpolation is not applied
// (Plaid's keys and tokens never contain '%'), and inline comments are not
// stripped, as configparser's defaults do not strip them either.
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

// ParseError reports a malformed file, naming the line.
type ParseError struct {
	Path string
	Line int
	Msg  string
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
	perr := func(l line, format string, args ...any) error {
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
			closing := strings.LastIndexByte(trimmed, ']')
			if closing < 0 {
				return nil, perr(l, "section header %q is missing its closing ']'", trimmed)
			}
			name := trimmed[1:closing]
			if name == "" {
				return nil, perr(l, "section header has no name")
			}
			if seen[name] {
				return nil, perr(l, "section [%s] appears twice (the first one is on line %d)", name, f.section(name).line)
			}
			seen[name] = true
			if cur != nil {
				cur.end = l.start
			}
			cur = &section{name: name, line: l.num, start: l.start, headerEnd: l.next, end: len(data), indent: text[:indentWidth]}
			f.sections = append(f.sections, cur)
			continue
		}
		if cur == nil {
			return nil, perr(l, "%q comes before any [section] header", trimmed)
		}
		delim := strings.IndexAny(trimmed, "=:")
		if delim < 0 {
			return nil, perr(l, "%q in [%s] is neither a 'key = value' line nor a comment", trimmed, cur.name)
		}
		name := strings.TrimRightFunc(trimmed[:delim], isSpace)
		if name == "" {
			return nil, perr(l, "line in [%s] has a value but no key name", cur.name)
		}
		name = strings.ToLower(name)
		if prev := cur.key(name); prev != nil {
			return nil, perr(l, "key %q appears twice in [%s] (the first one is on line %d)", name, cur.name, prev.line)
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

// Get returns a key's value. Keys are case-insensitive, and a key missing
// from the section falls back to [DEFAULT], as configparser does.
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
