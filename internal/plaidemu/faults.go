package plaidemu

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault makes matching Plaid calls misbehave: answer an error, wait, drop
// the connection or cut the body short.
type Fault struct {
	Endpoint    string  `json:"endpoint"`                    // "/transactions/sync", ... or "*" for every Plaid endpoint
	Item        string  `json:"item,omitempty"`              // item name, item_id or access_token; "" = any item
	ErrorCode   string  `json:"error_code,omitempty"`        // a Plaid error code or "RATE_LIMIT_EXCEEDED" (the endpoint's own *_LIMIT code, 429)
	Reason      string  `json:"error_code_reason,omitempty"` // OAUTH_INVALID_TOKEN, OAUTH_CONSENT_EXPIRED or OAUTH_USER_REVOKED, with ITEM_LOGIN_REQUIRED or ACCESS_NOT_GRANTED
	Status      int     `json:"status,omitempty"`            // override the HTTP status of the error
	Count       int     `json:"count,omitempty"`             // calls affected; 0 = until cleared
	Page        int     `json:"page,omitempty"`              // /transactions/sync only: fire only on page k of a pagination chain (1 = first request of a loop)
	Probability float64 `json:"probability,omitempty"`       // 0 = always; else fires at random with that probability (seeded, deterministic)
	LatencyMS   int     `json:"latency_ms,omitempty"`        // delay before answering (may combine with an error or stand alone)
	Drop        bool    `json:"drop_connection,omitempty"`   // hijack and close the connection with no response
	Truncate    bool    `json:"truncate_body,omitempty"`     // correct headers (incl. Content-Length of the full body), half the body, then close
	// MalformedField, on /transactions/sync or /transactions/get, leaves
	// this field (e.g. "date") out of the page's first transaction.
	MalformedField string `json:"malformed_field,omitempty"`
}

// malformableFields are the Transaction fields a fault may leave out:
// those Plaid always sends.
var malformableFields = []string{"transaction_id", "account_id", "amount", "date", "name", "pending",
	"iso_currency_code", "payment_channel", "personal_finance_category"}

// FaultStatus is an active fault with how often it fired.
type FaultStatus struct {
	ID string `json:"id"`
	Fault
	Fired int `json:"fired"`
}

// rateLimitFault names the endpoint's own rate-limit code in a Fault.
const rateLimitFault = "RATE_LIMIT_EXCEEDED"

const maxFaultLatency = 10 * time.Minute

type faultState struct {
	FaultStatus
	itemID    string // resolved from Fault.Item
	remaining int    // calls left when Count > 0
}

type faultSet struct {
	list []*faultState
	rand *rand.Rand
	seq  int
}

// faultEffect is what the matching faults do to one call.
type faultEffect struct {
	latency  time.Duration
	err      *apiError
	drop     bool
	truncate bool
	malform  string // field to leave out of the page's first transaction
}

// AddFault activates a fault and returns its id. The fault is checked
// before it is accepted: unknown endpoints or codes are errors.
func (e *Emulator) AddFault(f Fault) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	if f.Endpoint != "*" && plaidEndpoints[f.Endpoint] == nil {
		errs = append(errs, fmt.Errorf("unknown endpoint %q (use a Plaid path such as /transactions/sync, or *)", f.Endpoint))
	}
	if f.ErrorCode != "" && f.ErrorCode != rateLimitFault && !slices.Contains(faultCodes, f.ErrorCode) {
		errs = append(errs, fmt.Errorf("unknown error_code %q (known: %s and %s)", f.ErrorCode, rateLimitFault, faultCodesList()))
	}
	if f.Reason != "" && !slices.Contains(oauthReasons, f.Reason) {
		errs = append(errs, fmt.Errorf("unknown error_code_reason %q (known: %s)", f.Reason, strings.Join(oauthReasons, ", ")))
	}
	if f.Reason != "" && !slices.Contains(reasonCodes, f.ErrorCode) {
		errs = append(errs, fmt.Errorf("error_code_reason applies to %s only", strings.Join(reasonCodes, " and ")))
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		errs = append(errs, fmt.Errorf("status must be 100..599, got %d", f.Status))
	}
	if f.Status != 0 && f.ErrorCode == "" {
		errs = append(errs, errors.New("status needs an error_code"))
	}
	if f.Count < 0 {
		errs = append(errs, fmt.Errorf("count must not be negative, got %d", f.Count))
	}
	if f.Page < 0 || f.Page > 0 && f.Endpoint != "/transactions/sync" {
		errs = append(errs, errors.New("page applies to /transactions/sync only and must be 1 or more"))
	}
	if math.IsNaN(f.Probability) || f.Probability < 0 || f.Probability > 1 {
		errs = append(errs, fmt.Errorf("probability must be 0..1, got %v", f.Probability))
	}
	if f.LatencyMS < 0 || time.Duration(f.LatencyMS)*time.Millisecond > maxFaultLatency {
		errs = append(errs, fmt.Errorf("latency_ms must be 0..%d, got %d", maxFaultLatency.Milliseconds(), f.LatencyMS))
	}
	if f.Drop && (f.Truncate || f.ErrorCode != "") {
		errs = append(errs, errors.New("drop_connection sends no answer: it cannot combine with truncate_body or error_code"))
	}
	if f.MalformedField != "" {
		if f.Endpoint != "/transactions/sync" && f.Endpoint != "/transactions/get" {
			errs = append(errs, errors.New("malformed_field applies to /transactions/sync and /transactions/get only"))
		}
		if !slices.Contains(malformableFields, f.MalformedField) {
			errs = append(errs, fmt.Errorf("malformed_field must be one of %s, got %q", strings.Join(malformableFields, ", "), f.MalformedField))
		}
		if f.ErrorCode != "" || f.Drop {
			errs = append(errs, errors.New("malformed_field needs an answer: it cannot combine with error_code or drop_connection"))
		}
	}
	if f.ErrorCode == "" && f.LatencyMS == 0 && !f.Drop && !f.Truncate && f.MalformedField == "" {
		errs = append(errs, errors.New("a fault needs error_code, latency_ms, drop_connection, truncate_body or malformed_field"))
	}
	itemID := ""
	if f.Item != "" {
		if it := e.findItem(f.Item); it != nil {
			itemID = it.ID
			if f.Reason != "" && !it.Inst.OAuth {
				errs = append(errs, fmt.Errorf("error_code_reason is set on OAuth items only; %s is not at an OAuth institution", it.Name))
			}
		} else {
			errs = append(errs, fmt.Errorf("no item named %q (use an item name, item_id or access_token)", redactToken(f.Item)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return "", fmt.Errorf("plaidemu: invalid fault: %w", err)
	}
	e.faults.seq++
	st := &faultState{FaultStatus: FaultStatus{ID: "fault-" + strconv.Itoa(e.faults.seq), Fault: f}, itemID: itemID, remaining: f.Count}
	e.faults.list = append(e.faults.list, st)
	return st.ID, nil
}

func faultCodesList() string {
	s := ""
	for i, c := range faultCodes {
		if i > 0 {
			s += ", "
		}
		s += c
	}
	return s
}

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.list = nil
}

// Faults lists the active faults.
func (e *Emulator) Faults() []FaultStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []FaultStatus{}
	for _, f := range e.faults.list {
		out = append(out, f.FaultStatus)
	}
	return out
}

// findItem finds a live or removed item by name, item_id or access token.
func (e *Emulator) findItem(ref string) *item {
	for _, it := range e.items {
		if it.Name == ref || it.ID == ref || it.AccessToken == ref {
			return it
		}
	}
	return nil
}

// matchFaults fires the faults that match a call. Callers hold e.mu.
func (e *Emulator) matchFaults(endpoint string, it *item, page int) faultEffect {
	var eff faultEffect
	kept := e.faults.list[:0]
	for _, f := range e.faults.list {
		fired := false
		if f.matches(endpoint, it, page) && (f.Probability == 0 || e.faults.rand.Float64() < f.Probability) {
			fired = true
			f.Fired++
			eff.latency += time.Duration(f.LatencyMS) * time.Millisecond
			if eff.err == nil && !eff.drop && !eff.truncate {
				if f.ErrorCode != "" {
					code := f.ErrorCode
					if code == rateLimitFault {
						code = limitCode(endpoint)
					}
					eff.err = plaidErr(code)
					eff.err.Status = statusOr(f.Status, eff.err.Status)
					eff.err.Reason = f.Reason
					if slices.Contains(itemStateCodes, code) && it != nil {
						// The item stays broken until Link update mode repairs it.
						e.breakItem(it, code, f.Reason)
					}
				}
				eff.drop, eff.truncate = f.Drop, f.Truncate
			}
			if f.MalformedField != "" && eff.malform == "" {
				eff.malform = f.MalformedField
			}
		}
		if fired && f.Count > 0 {
			f.remaining--
			if f.remaining == 0 {
				continue
			}
		}
		kept = append(kept, f)
	}
	clear(e.faults.list[len(kept):])
	e.faults.list = kept
	eff.latency = min(eff.latency, maxFaultLatency)
	return eff
}

func (f *faultState) matches(endpoint string, it *item, page int) bool {
	if f.Endpoint != "*" && f.Endpoint != endpoint {
		return false
	}
	if f.itemID != "" && (it == nil || it.ID != f.itemID) {
		return false
	}
	return f.Page == 0 || f.Page == page
}

// redactToken shortens anything that looks like a token for messages.
func redactToken(s string) string {
	for _, p := range []string{"access-", "public-", "link-"} {
		if len(s) > len(p) && s[:len(p)] == p {
			if len(s) > len(p)+12 {
				return s[:len(p)+12] + "…"
			}
			return p + "…"
		}
	}
	return s
}
