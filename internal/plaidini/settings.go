package plaidini

import (
	"errors"
	"fmt"
	"strings"
)

// Section names with a meaning of their own; every other section is an item.
const (
	CredentialsSection = "PLAID"
	LegacySection      = "plaid-sync"
)

// Settings is what the file says about Plaid credentials and linked items.
type Settings struct {
	ClientID, Secret, Environment, BaseURL string // from [PLAID]
	Items                                  []Item // in file order; excludes PLAID, plaid-sync, DEFAULT
}

// Item is one linked bank.
type Item struct {
	Name        string
	AccessToken string
	Disabled    bool
	Line        int // line of the section header
}

// IsItemSection reports whether a section names an item rather than
// credentials, legacy settings or defaults.
func IsItemSection(name string) bool {
	return name != CredentialsSection && name != LegacySection && name != DefaultSection
}

// Settings returns credentials and items, checking what the file alone can
// tell: each item needs an access_token and a valid disabled flag. It does
// not require [PLAID] (credentials may come from elsewhere). Every problem
// is reported, each naming its section and line.
func (f *File) Settings() (Settings, error) {
	var st Settings
	st.ClientID, _ = f.Get(CredentialsSection, "client_id")
	st.Secret, _ = f.Get(CredentialsSection, "secret")
	st.Environment, _ = f.Get(CredentialsSection, "environment")
	st.BaseURL, _ = f.Get(CredentialsSection, "base_url")

	var errs []error
	for _, s := range f.sections {
		if !IsItemSection(s.name) {
			continue
		}
		fail := func(format string, args ...any) {
			errs = append(errs, &ParseError{Path: f.path, Line: s.line, Msg: fmt.Sprintf(format, args...)})
		}
		it := Item{Name: s.name, Line: s.line}
		token, ok := f.Get(s.name, "access_token")
		switch {
		case !ok && strings.EqualFold(s.name, CredentialsSection):
			fail("section [%s] has no access_token; credentials belong in [%s] (section names are case-sensitive)", s.name, CredentialsSection)
			continue
		case !ok:
			fail("item [%s] has no access_token; link it with linktool or remove the section", s.name)
			continue
		case token == "":
			fail("item [%s] has an empty access_token", s.name)
			continue
		}
		it.AccessToken = token
		if raw, ok := f.Get(s.name, "disabled"); ok {
			b, err := ParseBool(raw)
			if err != nil {
				fail("item [%s]: disabled = %q is not a boolean (use true/false, yes/no, on/off or 1/0)", s.name, raw)
				continue
			}
			it.Disabled = b
		}
		st.Items = append(st.Items, it)
	}
	return st, errors.Join(errs...)
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
