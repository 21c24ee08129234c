package plaidini

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Edits splice new text into the raw bytes, then parse the result again and
// check that it means exactly what was asked: an edit can never silently
// change another section or key (an indented line that would turn into a
// continuation, for instance), it fails instead and the file stays as it was.

// AddSection appends a new section with keys at the end of the file, after a
// blank line.
func (f *File) AddSection(name string, keys [][2]string) error {
	if err := ValidSectionName(name); err != nil {
		return err
	}
	if f.Has(name) {
		return fmt.Errorf("section [%s] already exists (line %d)", name, f.section(name).line)
	}
	seen := map[string]bool{}
	var b strings.Builder
	b.WriteString("[" + name + "]" + f.eol)
	for _, kv := range keys {
		if err := validKeyValue(kv[0], kv[1]); err != nil {
			return fmt.Errorf("section [%s]: %w", name, err)
		}
		lower := strings.ToLower(kv[0])
		if seen[lower] {
			return fmt.Errorf("section [%s]: key %q given twice", name, kv[0])
		}
		seen[lower] = true
		b.WriteString(kv[0] + " = " + kv[1] + f.eol)
	}

	data := f.data
	prefix := string(data)
	if len(data) > 0 && !endsWithEOL(data) {
		prefix += f.eol
	}
	if strings.TrimFunc(strings.TrimPrefix(prefix, string(bom)), isSpace) != "" && !endsWithBlankLine(prefix) {
		prefix += f.eol
	}

	want := f.model()
	added := sectionModel{name: name}
	for _, kv := range keys {
		added.keys = append(added.keys, [2]string{strings.ToLower(kv[0]), kv[1]})
	}
	want = append(want, added)
	return f.replace(prefix+b.String(), want)
}

// SetKey replaces the value of a key in place, keeping the key's spelling
// and spacing, or appends the key after the section's last key.
func (f *File) SetKey(sectionName, keyName, value string) error {
	s := f.section(sectionName)
	if s == nil {
		return fmt.Errorf("section [%s] does not exist", sectionName)
	}
	if err := validKeyValue(keyName, value); err != nil {
		return fmt.Errorf("section [%s]: %w", sectionName, err)
	}
	lower := strings.ToLower(keyName)
	want := f.model()
	i := slices.IndexFunc(want, func(m sectionModel) bool { return m.name == sectionName })
	var out string
	if k := s.key(keyName); k != nil {
		for j := range want[i].keys {
			if want[i].keys[j][0] == lower {
				want[i].keys[j][1] = value
			}
		}
		sep := ""
		if k.valueStart == k.valueEnd && k.valueStart > 0 && f.data[k.valueStart-1] != ' ' && f.data[k.valueStart-1] != '\t' {
			sep = " "
		}
		// The key line keeps its terminator; continuation lines go away.
		lineEnd := k.valueEnd
		for lineEnd < len(f.data) && f.data[lineEnd] != '\n' && f.data[lineEnd] != '\r' {
			lineEnd++
		}
		tail := string(f.data[lineEnd:k.end])
		if term := lineTerminator(f.data, lineEnd); term != "" {
			tail = term
		}
		out = string(f.data[:k.valueStart]) + sep + value + string(f.data[k.valueEnd:lineEnd]) + tail + string(f.data[k.end:])
	} else {
		want[i].keys = append(want[i].keys, [2]string{lower, value})
		at, indent := s.headerEnd, ""
		if n := len(s.keys); n > 0 {
			at, indent = s.keys[n-1].end, s.keys[n-1].indent
		}
		// A following header indented deeper than the new key would read as
		// a continuation of it; indenting the new key as deep prevents that.
		if next := f.nextSignificantIndent(at); utf8.RuneCountInString(next) > utf8.RuneCountInString(indent) {
			indent = next
		}
		before := string(f.data[:at])
		if at > 0 && !endsWithEOL(f.data[:at]) {
			before += f.eol
		}
		out = before + indent + keyName + " = " + value + f.eol + string(f.data[at:])
	}
	return f.replace(out, want)
}

// RemoveSection removes a section's header, its keys and the comment and
// blank lines among and after them. Comment lines directly above the next
// header are kept: they describe that section.
func (f *File) RemoveSection(name string) error {
	s := f.section(name)
	if s == nil {
		return fmt.Errorf("section [%s] does not exist", name)
	}
	cut := s.end
	if s.end < len(f.data) {
		cut = f.attachedCommentStart(s)
	}
	out := string(f.data[:s.start]) + string(f.data[cut:])
	want := slices.DeleteFunc(f.model(), func(m sectionModel) bool { return m.name == name })
	return f.replace(out, want)
}

// attachedCommentStart returns where the comment lines that sit directly
// above the next header (no blank line between) begin, within s's span.
func (f *File) attachedCommentStart(s *section) int {
	lines := splitLines(f.data[:s.end], s.headerEnd)
	cut := s.end
	for i := len(lines) - 1; i >= 0; i-- {
		t := strings.TrimFunc(string(f.data[lines[i].start:lines[i].end]), isSpace)
		if t == "" || (t[0] != '#' && t[0] != ';') {
			break
		}
		cut = lines[i].start
	}
	// Key spans include comment lines inside continuations; never cut into a key.
	if n := len(s.keys); n > 0 && cut < s.keys[n-1].end {
		cut = s.keys[n-1].end
	}
	return cut
}

// nextSignificantIndent returns the indentation of the first line at or
// after offset that is neither blank nor a comment.
func (f *File) nextSignificantIndent(offset int) string {
	for _, l := range splitLines(f.data, offset) {
		text := string(f.data[l.start:l.end])
		t := strings.TrimFunc(text, isSpace)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		return text[:len(text)-len(strings.TrimLeftFunc(text, isSpace))]
	}
	return ""
}

// replace swaps in the edited bytes after checking they parse to want.
func (f *File) replace(out string, want []sectionModel) error {
	g, err := Parse(f.path, []byte(out))
	if err != nil {
		return fmt.Errorf("the edit would make the file unreadable (%v); nothing was changed", err)
	}
	if got := g.model(); !modelsEqual(got, want) {
		return errors.New("the edit would change the meaning of neighbouring lines (check their indentation); nothing was changed")
	}
	f.data, f.sections = g.data, g.sections
	return nil
}

type sectionModel struct {
	name string
	keys [][2]string
}

func (f *File) model() []sectionModel {
	out := make([]sectionModel, 0, len(f.sections))
	for _, s := range f.sections {
		m := sectionModel{name: s.name}
		for _, k := range s.keys {
			m.keys = append(m.keys, [2]string{k.name, k.value})
		}
		out = append(out, m)
	}
	return out
}

func modelsEqual(a, b []sectionModel) bool {
	return slices.EqualFunc(a, b, func(x, y sectionModel) bool {
		return x.name == y.name && slices.Equal(x.keys, y.keys)
	})
}

// ValidSectionName reports why name cannot be written as a section header
// that reads back as the same name.
func ValidSectionName(name string) error {
	switch {
	case name == "":
		return errors.New("the name is empty")
	case !utf8.ValidString(name):
		return fmt.Errorf("the name %q is not valid UTF-8", name)
	case strings.ContainsAny(name, "[]"):
		return fmt.Errorf("the name %q contains '[' or ']'", name)
	case strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 }) >= 0:
		return fmt.Errorf("the name %q contains a control character", name)
	case strings.TrimFunc(name, isSpace) != name:
		return fmt.Errorf("the name %q starts or ends with a space", name)
	}
	return nil
}

func validKeyValue(name, value string) error {
	switch {
	case name == "" || strings.TrimFunc(name, isSpace) != name:
		return fmt.Errorf("key name %q is empty or has surrounding spaces", name)
	case !utf8.ValidString(name) || !utf8.ValidString(value):
		return fmt.Errorf("key %q: not valid UTF-8", name)
	case strings.ContainsAny(name, "=:\r\n") || strings.ContainsAny(name[:1], "[#;"):
		return fmt.Errorf("key name %q cannot contain '=', ':' or a line break, nor start with '[', '#' or ';'", name)
	case strings.ContainsAny(value, "\r\n"):
		return fmt.Errorf("value of %q must be a single line", name)
	case strings.TrimFunc(value, isSpace) != value:
		return fmt.Errorf("value of %q starts or ends with spaces, which the file format drops", name)
	case strings.Contains(value, "%"):
		return fmt.Errorf("value of %q holds a '%%', which configparser would read as interpolation", name)
	}
	return nil
}

func endsWithEOL(data []byte) bool {
	return len(data) > 0 && (data[len(data)-1] == '\n' || data[len(data)-1] == '\r')
}

// endsWithBlankLine reports whether s ends with an empty or whitespace-only line.
func endsWithBlankLine(s string) bool {
	if !endsWithEOL([]byte(s)) {
		return false
	}
	body := strings.TrimSuffix(s, "\n")
	body = strings.TrimSuffix(body, "\r")
	i := strings.LastIndexAny(body, "\r\n")
	return strings.TrimFunc(body[i+1:], isSpace) == "" && i >= 0
}

// lineTerminator returns the line ending starting at offset i, if any.
func lineTerminator(data []byte, i int) string {
	switch {
	case i >= len(data):
		return ""
	case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
		return "\r\n"
	case data[i] == '\r' || data[i] == '\n':
		return string(data[i : i+1])
	}
	return ""
}
