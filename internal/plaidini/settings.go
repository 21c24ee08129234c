package plaidini

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Section names with a meaning of their own; every other section is an item.
const (
	CredentialsSection = "PLAID"
	LegacySection      = "plaid-sync"
)

// Settings is what the file says about Plaid credentials and linked items,
// read as plaid-sync read it.
type Settings struct {
	ClientID, Secret, Environment, BaseURL string    // from [PLAID]
	Items                                  []Item    // in file order; excludes PLAID, plaid-sync, DEFAULT
	Skipped                                []Skipped // item sections that are not read, in file order
}

// Item is one linked bank.
type Item struct {
	Name        string
	AccessToken string
	ItemID      string // "" when the section has none
	Disabled    bool
	Line        int // line of the section header
}

// Skipped is an item section that is not read because it has no usable
// access_token, as plaid-sync skipped such sections. The caller decides how
// to warn; the package does not log.
type Skipped struct {
	Path    string
	Section string
	Line    int    // the access_token line, or the section header when there is none
	Reason  string // names the section and key, never more than a short prefix of a value

	rule strictRule // set where plaid-sync would have read the section
}

func (s Skipped) String() string {
	return fmt.Sprintf("%s:%d: %s; the section is skipped", s.Path, s.Line, s.Reason)
}

// IsItemSection reports whether a section names an item rather than
// credentials, legacy settings or defaults.
func IsItemSection(name string) bool {
	return name != CredentialsSection && name != LegacySection && name != DefaultSection
}

// Settings returns credentials and items, checking what the file alone can
// tell. It does not require [PLAID] (credentials may come from elsewhere).
// An item section without a usable access_token is skipped and listed in
// Skipped; the other items are still read. What configparser would fail on
// (a bad %-interpolation, a disabled flag that is not a boolean) and a
// malformed secret are errors, every one reported, each naming the file,
// line and key.
func (f *File) Settings() (Settings, error) {
	var (
		st   Settings
		errs []error
	)
	value := func(section, key string) string {
		v, _, err := f.Value(section, key)
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	st.ClientID = value(CredentialsSection, "client_id")
	st.Environment = value(CredentialsSection, "environment")
	st.BaseURL = value(CredentialsSection, "base_url")
	if secret, ok := f.Get(CredentialsSection, "secret"); ok {
		if rule, problem := credentialProblem(secret); problem != "" {
			e := f.keyError(CredentialsSection, "secret", "%s %s", secretPreview(secret), problem)
			e.rule = rule
			errs = append(errs, e)
		} else {
			st.Secret = secret
		}
	}

	for _, s := range f.sections {
		if !IsItemSection(s.name) {
			continue
		}
		skip := func(rule strictRule, format string, args ...any) {
			st.Skipped = append(st.Skipped, Skipped{
				Path: f.path, Section: s.name, Line: f.keyLine(s.name, "access_token"),
				Reason: fmt.Sprintf(format, args...), rule: rule,
			})
		}
		token, ok := f.Get(s.name, "access_token")
		if !ok && strings.EqualFold(s.name, CredentialsSection) {
			skip("", "section [%s] has no access_token; credentials belong in [%s] (section names are case-sensitive)", s.name, CredentialsSection)
			continue
		}
		if !ok {
			skip("", "item [%s] has no access_token; link it with linktool or remove the section", s.name)
			continue
		}
		if token == "" {
			skip("", "item [%s] has an empty access_token; link it again with linktool or remove the section", s.name)
			continue
		}
		rule, problem := credentialProblem(token)
		if rule == ruleSecretPercent {
			// plaid-sync interpolated the token and read the section's other
			// keys only when that gave a token; the same keys are checked here.
			if v, _, err := f.Value(s.name, "access_token"); err != nil || v == "" {
				skip(rule, "item [%s]: access_token %s %s", s.name, secretPreview(token), problem)
				continue
			}
		}
		it := Item{Name: s.name, AccessToken: token, Line: s.line}
		// item_id and disabled are checked even in a section skipped for a
		// malformed token, as plaid-sync, which used that token, read them.
		readable := true
		if id, _, err := f.Value(s.name, "item_id"); err != nil {
			errs = append(errs, err)
			readable = false
		} else {
			it.ItemID = id
		}
		if raw, ok, err := f.Value(s.name, "disabled"); err != nil {
			errs = append(errs, err)
			readable = false
		} else if ok {
			b, known := booleanStates[strings.ToLower(raw)]
			if !known {
				errs = append(errs, f.keyError(s.name, "disabled", "%s is not a boolean (use true/false, yes/no, on/off or 1/0)", textPreview(raw)))
				readable = false
			}
			it.Disabled = b
		}
		if problem != "" {
			skip(rule, "item [%s]: access_token %s %s", s.name, secretPreview(token), problem)
			continue
		}
		if readable {
			st.Items = append(st.Items, it)
		}
	}
	return st, errors.Join(errs...)
}

// credentialProblem says why v cannot be a Plaid credential as written,
// or "" when it can.
func credentialProblem(v string) (strictRule, string) {
	if strings.Contains(v, "%") {
		return ruleSecretPercent, "holds a '%', which Plaid credentials never do (a credential is used as written, without configparser's %-interpolation)"
	}
	for _, r := range v {
		switch {
		case r == '\n' || r == '\r':
			return ruleSecretForm, "continues on the next line; a credential is one word on its key's line"
		case isSpace(r):
			return ruleSecretForm, "holds a space; a credential is one word (a comment cannot follow a value on its line)"
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return ruleSecretForm, "holds an invisible or control character"
		}
	}
	return "", ""
}

// booleanStates are configparser's BOOLEAN_STATES, matched on the
// lower-cased value as its getboolean does.
var booleanStates = map[string]bool{
	"1": true, "yes": true, "true": true, "on": true,
	"0": false, "no": false, "false": false, "off": false,
}

// Item returns the named item from the settings.
func (st Settings) Item(name string) (Item, bool) {
	for _, it := range st.Items {
		if it.Name == name {
			return it, true
		}
	}
	return Item{}, false
}

// ParseBool accepts configparser's booleans, case-insensitively.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "yes", "true", "on":
		return true, nil
	case "0", "no", "false", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}
