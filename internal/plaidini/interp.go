package plaidini

import (
	"fmt"
	"strings"
)

// maxInterpolationDepth is configparser's MAX_INTERPOLATION_DEPTH.
const maxInterpolationDepth = 10

// Value returns a key's value the way configparser's get returns it: looked
// up like Get (case-insensitive key, falling back to [DEFAULT]), then
// interpolated: "%%" is a '%', "%(name)s" is the value of key name in the
// same section or [DEFAULT], and any other '%' is an error. ok is false
// when the key is not set. Errors name the file, the key's line and the key,
// never its value.
func (f *File) Value(section, key string) (value string, ok bool, err error) {
	raw, ok := f.Get(section, key)
	if !ok || !strings.Contains(raw, "%") {
		return raw, ok, nil
	}
	var b strings.Builder
	if err := f.interpolate(&b, section, strings.ToLower(key), raw, 1); err != nil {
		return "", true, err
	}
	return b.String(), true, nil
}

func (f *File) interpolate(b *strings.Builder, section, key, rest string, depth int) error {
	if depth > maxInterpolationDepth {
		return f.keyError(section, key, "%%(name)s references nest more than %d deep (does a value refer to itself?)", maxInterpolationDepth)
	}
	for rest != "" {
		p := strings.IndexByte(rest, '%')
		if p < 0 {
			b.WriteString(rest)
			return nil
		}
		b.WriteString(rest[:p])
		rest = rest[p:]
		switch {
		case strings.HasPrefix(rest, "%%"):
			b.WriteByte('%')
			rest = rest[2:]
		case strings.HasPrefix(rest, "%("):
			end := strings.IndexByte(rest, ')')
			if end <= 2 || end+1 >= len(rest) || rest[end+1] != 's' {
				return f.keyError(section, key, "a '%%(' must start a reference written %%(name)s (write %%%% for a '%%')")
			}
			name := strings.ToLower(rest[2:end])
			rest = rest[end+2:]
			v, found := f.Get(section, name)
			if !found {
				return f.keyError(section, key, "%%(%s)s refers to a key that neither [%s] nor [%s] sets", strings.Trim(keyLabel(name), `"`), section, DefaultSection)
			}
			if !strings.Contains(v, "%") {
				b.WriteString(v)
				continue
			}
			if err := f.interpolate(b, section, name, v, depth+1); err != nil {
				return err
			}
		default:
			return f.keyError(section, key, "a '%%' must be followed by '%%' or '(' (write %%%% for a '%%'; the file is read with configparser's interpolation)")
		}
	}
	return nil
}

// keyLine returns the line that sets key for section: its own, else
// [DEFAULT]'s, else the section header's.
func (f *File) keyLine(section, key string) int {
	for _, name := range []string{section, DefaultSection} {
		if s := f.section(name); s != nil {
			if k := s.key(key); k != nil {
				return k.line
			}
		}
	}
	return f.SectionLine(section)
}

// keyError is a *ParseError at the line that sets key for section.
func (f *File) keyError(section, key, format string, args ...any) *ParseError {
	key = strings.ToLower(key)
	return &ParseError{
		Path: f.path, Line: f.keyLine(section, key), Key: safeKey(key),
		Msg: fmt.Sprintf("[%s] %s: ", section, keyLabel(key)) + fmt.Sprintf(format, args...),
	}
}
