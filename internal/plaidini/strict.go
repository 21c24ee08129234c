package plaidini

// strictRule names a place where this package deliberately refuses, or
// reads otherwise, a file that configparser would read. Each is listed in
// the package documentation and in testdata/README.md, and the
// differential test against configparser counts each one.
type strictRule string

const (
	// ruleBracket: a line starting with '[' that is not a whole section
	// header ("[Chase", "[] = x", "[A = 1") is an error; configparser reads
	// the ones holding '=' or ':' as a key of the section above.
	ruleBracket strictRule = "broken section header"
	// ruleDefaultTwice: a second [DEFAULT] header is an error;
	// configparser merges the two.
	ruleDefaultTwice strictRule = "second [DEFAULT]"
	// ruleSecretPercent: a credential (access_token, secret) holding '%'
	// is refused; configparser would interpolate it ("%%" to "%",
	// "%(name)s" to another value) or fail. Plaid's credentials never hold
	// '%', so one there is a typo, and interpolating a secret would send
	// Plaid something other than what the file shows.
	ruleSecretPercent strictRule = "'%' in a credential"
	// ruleSecretForm: a credential holding a space, a line break (a
	// continuation line), a control or invisible character is refused;
	// configparser keeps it, inline comments included, and plaid-sync sent
	// it to Plaid, which rejected it.
	ruleSecretForm strictRule = "space or control character in a credential"
	// ruleBOM (not an error): a UTF-8 byte order mark at the very start is
	// skipped, as editors on Windows write one; configparser reads it as
	// part of the first line and fails with MissingSectionHeaderError.
	ruleBOM strictRule = "byte order mark"
)
