package plaidemu

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Plaid checks every request body against the endpoint's schema before it
// looks at the data: a field it does not know is UNKNOWN_FIELDS, a missing
// required one MISSING_FIELDS, a wrong type or a value out of range
// INVALID_FIELD. The emulator does the same from requestschema.txt.

//go:embed requestschema.txt
var requestSchemaText string

// fieldSchema is what a request field may hold.
type fieldSchema struct {
	kind     string // string, integer, number, boolean, object, array
	required bool
	nullable bool
	open     bool // object: fields besides those listed are allowed
	format   string
	enum     []string
	min, max *float64 // number range, string length or array size
	fields   map[string]*fieldSchema
	elem     *fieldSchema
}

// requestSchemas maps a Plaid path to its request body's schema.
var requestSchemas = mustParseSchemas(requestSchemaText)

func mustParseSchemas(text string) map[string]*fieldSchema {
	out, err := parseSchemas(text)
	if err != nil {
		panic("plaidemu: requestschema.txt: " + err.Error())
	}
	return out
}

func parseSchemas(text string) (map[string]*fieldSchema, error) {
	out := map[string]*fieldSchema{}
	type level struct {
		depth int
		s     *fieldSchema
	}
	var stack []level
	for n, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		trimmed := strings.TrimLeft(line, " ")
		depth := (len(line) - len(trimmed)) / 2
		name, rest, _ := strings.Cut(trimmed, " ")
		s, err := parseField(rest)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		if depth == 0 {
			out[name] = s
			stack = []level{{0, s}}
			continue
		}
		for len(stack) > 0 && stack[len(stack)-1].depth >= depth {
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			return nil, fmt.Errorf("line %d: field outside an endpoint", n+1)
		}
		parent := stack[len(stack)-1].s
		switch {
		case name == "[]" && parent.kind == "array":
			parent.elem = s
		case parent.kind == "object":
			if strings.HasPrefix(name, "*") {
				name, s.required = name[1:], true
			}
			if parent.fields == nil {
				parent.fields = map[string]*fieldSchema{}
			}
			parent.fields[name] = s
		default:
			return nil, fmt.Errorf("line %d: %s under a %s", n+1, name, parent.kind)
		}
		stack = append(stack, level{depth, s})
	}
	return out, nil
}

func parseField(spec string) (*fieldSchema, error) {
	kind, attrs, _ := strings.Cut(spec, " ")
	s := &fieldSchema{kind: kind}
	for attrs != "" {
		if v, ok := strings.CutPrefix(attrs, "enum="); ok {
			s.enum = strings.Split(v, ",") // values may hold spaces: enum comes last
			break
		}
		var a string
		a, attrs, _ = strings.Cut(attrs, " ")
		key, val, _ := strings.Cut(a, "=")
		switch key {
		case "null":
			s.nullable = true
		case "open":
			s.open = true
		case "format":
			s.format = val
		case "range", "len", "items":
			lo, hi, _ := strings.Cut(val, "..")
			var err error
			if s.min, err = parseBound(lo); err != nil {
				return nil, err
			}
			if s.max, err = parseBound(hi); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown attribute %q", a)
		}
	}
	return s, nil
}

func parseBound(s string) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("bad bound %q", s)
	}
	return &f, nil
}

// validateRequest checks a request body against its endpoint's schema, in
// Plaid's order: unknown fields, then missing ones, then values.
func validateRequest(path string, body []byte) *apiError {
	s := requestSchemas[path]
	if s == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return plaidErr("INVALID_BODY")
	}
	var unknown, missing []string
	collectFieldNames(s, v, "", &unknown, &missing)
	if len(unknown) > 0 {
		return plaidErrf("UNKNOWN_FIELDS", "the following fields are not recognized by this endpoint: %s", strings.Join(unknown, ", "))
	}
	if len(missing) > 0 {
		return missingFields(missing...)
	}
	return checkValue(s, v, "")
}

func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// collectFieldNames finds fields the schema does not know and required
// fields that are absent, null or empty.
func collectFieldNames(s *fieldSchema, v any, at string, unknown, missing *[]string) {
	switch s.kind {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		names := make([]string, 0, len(obj))
		for k := range obj {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			f := s.fields[k]
			if f == nil {
				if !s.open {
					*unknown = append(*unknown, joinPath(at, k))
				}
				continue
			}
			collectFieldNames(f, obj[k], joinPath(at, k), unknown, missing)
		}
		req := make([]string, 0, len(s.fields))
		for k, f := range s.fields {
			if f.required && isEmpty(obj[k]) {
				req = append(req, joinPath(at, k))
			}
		}
		slices.Sort(req)
		*missing = append(*missing, req...)
	case "array":
		arr, _ := v.([]any)
		for i, el := range arr {
			if s.elem != nil {
				collectFieldNames(s.elem, el, at+"["+strconv.Itoa(i)+"]", unknown, missing)
			}
		}
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// checkValue checks types, ranges, formats and enums.
func checkValue(s *fieldSchema, v any, at string) *apiError {
	name := at
	if name == "" {
		name = "body"
	}
	if v == nil {
		if s.nullable || at == "" {
			return nil
		}
		return invalidField("%s must not be null", name)
	}
	switch s.kind {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return invalidField("%s must be an object", name)
		}
		names := make([]string, 0, len(obj))
		for k := range obj {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			if f := s.fields[k]; f != nil {
				if err := checkValue(f, obj[k], joinPath(at, k)); err != nil {
					return err
				}
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return invalidField("%s must be an array", name)
		}
		if err := checkBounds(float64(len(arr)), s, "%s must have %s elements, got %d", name, len(arr)); err != nil {
			return err
		}
		if s.elem != nil {
			for i, el := range arr {
				if err := checkValue(s.elem, el, at+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return invalidField("%s must be a string", name)
		}
		if err := checkBounds(float64(len([]rune(str))), s, "%s must be %s characters long, got %d", name, len([]rune(str))); err != nil {
			return err
		}
		if len(s.enum) > 0 && !slices.Contains(s.enum, str) {
			return invalidField("%s must be one of %s, got %q", name, strings.Join(s.enum, ", "), str)
		}
		switch s.format {
		case "date":
			if _, err := time.Parse(time.DateOnly, str); err != nil {
				return invalidField("%s must be a date in YYYY-MM-DD format, got %q", name, str)
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				return invalidField("%s must be an RFC 3339 date-time, got %q", name, str)
			}
		}
	case "integer", "number":
		num, ok := v.(json.Number)
		if !ok {
			return invalidField("%s must be a number", name)
		}
		f, err := num.Float64()
		if err != nil || math.IsInf(f, 0) {
			return invalidField("%s must be a number", name)
		}
		if s.kind == "integer" {
			if _, err := num.Int64(); err != nil {
				return invalidField("%s must be an integer, got %s", name, num)
			}
		}
		if err := checkBounds(f, s, "%s must be %s, got %s", name, num); err != nil {
			return err
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return invalidField("%s must be a boolean", name)
		}
	}
	return nil
}

// checkBounds compares x with the schema's min and max; format gets the
// field's name, the allowed range in words and the value.
func checkBounds(x float64, s *fieldSchema, format string, name string, got any) *apiError {
	if (s.min == nil || x >= *s.min) && (s.max == nil || x <= *s.max) {
		return nil
	}
	var want string
	switch {
	case s.min != nil && s.max != nil:
		want = fmt.Sprintf("between %s and %s", fmtBound(*s.min), fmtBound(*s.max))
	case s.min != nil:
		want = "at least " + fmtBound(*s.min)
	default:
		want = "at most " + fmtBound(*s.max)
	}
	return invalidField(format, name, want, got)
}

func fmtBound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
