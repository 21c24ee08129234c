// Package itemhealth says what a user must do about a Plaid item: the one
// classification of Plaid's item errors that the plugin's plaid_item points
// and linktool --status share, the linktool command that carries out each
// repair, and the rules for stale items and expiring consents.
package itemhealth

import (
	"math"
	"strings"
	"time"
)

// Repair is what the user must do for an item.
type Repair string

const (
	// None: nothing to do, or nothing the user can do about this item that
	// the error message does not say better (an unknown code).
	None Repair = "none"
	// Update: repair the login in Link update mode (linktool --update). The
	// item, its history and its access token stay.
	Update Repair = "update"
	// Link: the item cannot be repaired; remove it and link the bank again
	// (linktool --remove && --link), which starts a new item with new history.
	Link Repair = "link"
	// Wait: the institution or Plaid is down or busy; the next sync tries
	// again by itself.
	Wait Repair = "wait"
	// Config: the plugin's or linktool's own settings are wrong (API keys,
	// environment); no Link flow helps.
	Config Repair = "config"
)

// updateCodes are the item errors that Link update mode fixes, as Plaid's
// error reference describes them:
//   - ITEM_LOGIN_REQUIRED: credentials changed, MFA expired, or the OAuth
//     consent expired or was revoked (error_code_reason OAUTH_*).
//   - ACCESS_NOT_GRANTED: the user withheld or revoked sharing in the OAuth
//     flow; update mode lets them grant it again.
//   - PASSWORD_RESET_REQUIRED, USER_SETUP_REQUIRED, ITEM_LOCKED: the user
//     acts on the bank's own site first (new password, accept terms, unlock),
//     then logs in again through update mode.
//   - INSUFFICIENT_CREDENTIALS, INVALID_CREDENTIALS, INVALID_MFA,
//     INVALID_SEND_METHOD, INVALID_UPDATED_USERNAME, USER_INPUT_TIMEOUT,
//     MFA_NOT_SUPPORTED: the login itself failed; for an item already
//     linked, the user tries the login again in update mode (for
//     MFA_NOT_SUPPORTED after choosing an MFA method the bank offers and
//     Plaid supports).
//   - NO_ACCOUNTS: none of the item's accounts can be reached any more
//     (closed, or no longer shared); update mode's account selection lets the
//     user share accounts again without losing the item.
var updateCodes = map[string]bool{
	"ITEM_LOGIN_REQUIRED":      true,
	"ACCESS_NOT_GRANTED":       true,
	"PASSWORD_RESET_REQUIRED":  true,
	"USER_SETUP_REQUIRED":      true,
	"ITEM_LOCKED":              true,
	"INSUFFICIENT_CREDENTIALS": true,
	"INVALID_CREDENTIALS":      true,
	"INVALID_MFA":              true,
	"INVALID_SEND_METHOD":      true,
	"INVALID_UPDATED_USERNAME": true,
	"USER_INPUT_TIMEOUT":       true,
	"MFA_NOT_SUPPORTED":        true,
	"NO_ACCOUNTS":              true,
}

// linkCodes are the errors after which the item is gone or can never work:
// Plaid no longer knows the item or its token, or the institution or the
// account does not support what the item needs (ITEM_NOT_SUPPORTED: the
// bank's restrictions keep Plaid out of these accounts, so logging in again
// changes nothing). Only a new item helps, possibly at another institution.
var linkCodes = map[string]bool{
	"ITEM_NOT_FOUND":                  true,
	"INVALID_ACCESS_TOKEN":            true,
	"ITEM_NOT_SUPPORTED":              true,
	"PRODUCTS_NOT_SUPPORTED":          true,
	"INSTITUTION_NO_LONGER_SUPPORTED": true,
}

// waitCodes are the transient errors: the same call succeeds later.
var waitCodes = map[string]bool{
	"INSTITUTION_DOWN":                             true,
	"INSTITUTION_NOT_RESPONDING":                   true,
	"INSTITUTION_NOT_AVAILABLE":                    true,
	"INTERNAL_SERVER_ERROR":                        true,
	"PLANNED_MAINTENANCE":                          true,
	"PRODUCT_NOT_READY":                            true,
	"TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION": true,
}

// configCodes are errors in the client's own settings.
var configCodes = map[string]bool{
	"INVALID_API_KEYS":                       true,
	"UNAUTHORIZED_ENVIRONMENT":               true,
	"INVALID_PRODUCT":                        true,
	"INSTITUTION_NOT_ENABLED_IN_ENVIRONMENT": true,
}

// webhookUpdateCodes are the ITEM webhooks that announce a coming need for
// update mode. They arrive only as webhooks, never as the error of an API
// response or of /item/get, so Classify does not count them.
var webhookUpdateCodes = map[string]bool{
	"PENDING_EXPIRATION": true,
	"PENDING_DISCONNECT": true,
}

// Classify is the repair for a Plaid error code, as an API response or
// /item/get's item.error reports it; "" (no error) needs none. Rate limits
// (any *_LIMIT code or RATE_LIMIT_EXCEEDED) are waited out.
func Classify(code string) Repair {
	switch {
	case code == "":
		return None
	case updateCodes[code]:
		return Update
	case linkCodes[code]:
		return Link
	case waitCodes[code], code == "RATE_LIMIT_EXCEEDED", strings.HasSuffix(code, "_LIMIT"):
		return Wait
	case configCodes[code]:
		return Config
	}
	return None
}

// WebhookRepair is the repair an ITEM webhook code asks for:
// PENDING_EXPIRATION and PENDING_DISCONNECT need update mode before a date;
// an ERROR webhook carries an error code, see Classify.
func WebhookRepair(webhookCode string) Repair {
	if webhookUpdateCodes[webhookCode] {
		return Update
	}
	return None
}

// Describe says in words what the user must do.
func (r Repair) Describe() string {
	switch r {
	case Update:
		return "repair the login in Link update mode"
	case Link:
		return "remove the item and link the bank again"
	case Wait:
		return "wait: the next sync tries again"
	case Config:
		return "fix the Plaid settings (client_id, secret, environment)"
	}
	return "nothing to do"
}

// Commands renders linktool command lines for a user to paste: the program,
// the INI file (quoted when the shell needs it) and the item name (always
// single-quoted, as users are used to from plaid-sync).
type Commands struct {
	Linktool string // the linktool program; "" means "linktool"
	File     string // the INI file
}

func (c Commands) command(flag, name string, more ...string) string {
	prog := c.Linktool
	if prog == "" {
		prog = "linktool"
	}
	parts := []string{ShellQuote(prog), "-c", ShellQuote(c.File), flag, SingleQuote(name)}
	return strings.Join(append(parts, more...), " ")
}

// Command is a linktool command line: flag (such as "--status" or
// "--exchange") with the item name and further arguments.
func (c Commands) Command(flag, name string, more ...string) string {
	return c.command(flag, name, more...)
}

// Update repairs the item's login in Link update mode.
func (c Commands) Update(name string) string { return c.command("--update", name) }

// Link links a bank as a new item name; for a section that has no usable
// access token it fills in the section.
func (c Commands) Link(name string) string { return c.command("--link", name) }

// Relink removes the item at Plaid and in the file, then links it again.
func (c Commands) Relink(name string) string {
	return c.command("--remove", name) + " && " + c.command("--link", name)
}

// For is the command that carries out r for the item, "" when no command
// helps (wait, config, none).
func (c Commands) For(r Repair, name string) string {
	switch r {
	case Update:
		return c.Update(name)
	case Link:
		return c.Relink(name)
	}
	return ""
}

// SingleQuote quotes s for a POSIX shell, always.
func SingleQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// ShellQuote quotes s for a POSIX shell when it needs quoting.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r))
	}) < 0 {
		return s
	}
	return SingleQuote(s)
}

// StaleAfter is how old an item's last successful update may be before the
// item needs attention, as plaid-sync warned.
const StaleAfter = 3 * 24 * time.Hour

// Stale reports whether lastSuccess (zero: never) is older than StaleAfter
// at now. An item that never succeeded is not stale: it is new or failing,
// which its error says.
func Stale(lastSuccess, now time.Time) bool {
	return !lastSuccess.IsZero() && now.Sub(lastSuccess) > StaleAfter
}

// DefaultConsentWarningDays is how many days before an OAuth consent
// expires the user is warned by default.
const DefaultConsentWarningDays = 7

// ConsentDaysLeft is how many days remain until expiry, counting a started
// day as a whole one (0 or less: expired).
func ConsentDaysLeft(expiry, now time.Time) int {
	return int(math.Ceil(expiry.Sub(now).Hours() / 24))
}

// ConsentExpiring reports whether a consent expiring at expiry (zero: the
// item has none) needs renewal within warnDays days of now.
func ConsentExpiring(expiry, now time.Time, warnDays int) bool {
	return !expiry.IsZero() && ConsentDaysLeft(expiry, now) <= warnDays
}
