package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/itemhealth"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidini"
)

// itemHealth is what --status learns about one item.
type itemHealth struct {
	name        string
	disabled    bool
	institution string
	accounts    int // -1 when Plaid would not list them
	lastSuccess time.Time
	lastFailure time.Time
	errorCode   string
	reason      string    // error_code_reason, for OAuth item errors
	consent     time.Time // when the item's OAuth consent expires; zero: none
	products    []string  // /item/get's products
	checkErr    error     // Plaid could not be asked
}

// problem is one reason an item needs attention: what is wrong, the repair
// it needs (itemhealth's classification, as plaid_item's repair field) and
// the command that carries it out, or what else to do.
type problem struct {
	what   string
	repair itemhealth.Repair
	fix    string
}

// problems returns why h needs attention at now; none means it is fine.
// consentDays is how long before its expiry a consent is reported.
func (h itemHealth) problems(a *app, now time.Time, consentDays int) []problem {
	if h.disabled {
		return nil
	}
	cmds := a.commands()
	fix := func(r itemhealth.Repair) string {
		if c := cmds.For(r, h.name); c != "" {
			return c
		}
		return r.Describe()
	}
	var out []problem
	if h.checkErr != nil {
		repair := itemhealth.Config
		if pe, ok := plaidapi.AsError(h.checkErr); ok && pe.Retryable() {
			repair = itemhealth.Wait // Plaid or the network is busy or down
		}
		return []problem{{what: fmt.Sprintf("could not check with Plaid: %v", h.checkErr), repair: repair,
			fix: "check the network and [PLAID] settings, then run --status again"}}
	}
	if h.errorCode != "" {
		r := itemhealth.Classify(h.errorCode)
		code := h.errorCode
		if h.reason != "" {
			code += " (" + h.reason + ")"
		}
		what := "Plaid reports " + code
		if r == itemhealth.Link {
			what = "Plaid cannot use this item any more (" + code + ")"
		}
		out = append(out, problem{what: what, repair: r, fix: fix(r)})
		if r == itemhealth.Link {
			return out
		}
	}
	if !h.lastFailure.IsZero() && h.lastFailure.After(h.lastSuccess) && h.errorCode == "" {
		// Plaid's own retries fix a failed update that left no item error.
		out = append(out, problem{what: "the last update attempt failed", repair: itemhealth.Wait, fix: fix(itemhealth.Wait)})
	}
	if itemhealth.Stale(h.lastSuccess, now) {
		out = append(out, problem{what: "the last successful update was more than 3 days ago", repair: itemhealth.Update, fix: fix(itemhealth.Update)})
	}
	if itemhealth.ConsentExpiring(h.consent, now, consentDays) && itemhealth.Classify(h.errorCode) != itemhealth.Update {
		out = append(out, problem{
			what: fmt.Sprintf("the bank's consent for Plaid expires on %s (consent_days_left %d)",
				when(h.consent), itemhealth.ConsentDaysLeft(h.consent, now)),
			repair: itemhealth.Update, fix: fix(itemhealth.Update)})
	}
	return out
}

func (h itemHealth) line() string {
	if h.disabled {
		return h.name + ": disabled (not synced, not checked)"
	}
	if h.checkErr != nil && h.institution == "" {
		return h.name + ": unknown"
	}
	accounts := "? accounts"
	if h.accounts >= 0 {
		accounts = strconv.Itoa(h.accounts) + " accounts"
		if h.accounts == 1 {
			accounts = "1 account"
		}
	}
	code := h.errorCode
	if code == "" {
		code = "none"
	} else if h.reason != "" {
		code += " (" + h.reason + ")"
	}
	products := "unknown"
	if len(h.products) > 0 {
		products = strings.Join(h.products, "+")
	}
	return fmt.Sprintf("%s: %s, %s, last success %s, last failure %s, products %s, error %s",
		h.name, h.institution, accounts, when(h.lastSuccess), when(h.lastFailure), products, code)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// checkItem asks Plaid about one item.
func (a *app) checkItem(ctx context.Context, it plaidini.Item) itemHealth {
	h := itemHealth{name: it.Name, disabled: it.Disabled, accounts: -1}
	if it.Disabled {
		return h
	}
	resp, err := a.getItem(ctx, it.AccessToken)
	if err != nil {
		// An answer about the item itself (gone, or its login broken) is the
		// item's state; anything else means Plaid could not be asked.
		if r := itemhealth.Classify(plaidCode(err)); r == itemhealth.Link || r == itemhealth.Update {
			h.errorCode = plaidCode(err)
			if pe, ok := plaidapi.AsError(err); ok {
				h.reason = pe.Reason
			}
			return h
		}
		h.checkErr = err
		return h
	}
	item := resp.GetItem()
	if item.Error.IsSet() && item.Error.Get() != nil {
		h.errorCode = item.Error.Get().ErrorCode
		h.reason = item.Error.Get().GetErrorCodeReason()
	}
	if t, ok := item.GetConsentExpirationTimeOk(); ok && t != nil {
		h.consent = *t
	}
	products := item.GetProducts()
	if len(products) == 0 {
		products = item.BilledProducts
	}
	for _, p := range products {
		h.products = append(h.products, string(p))
	}
	h.institution = item.GetInstitutionName()
	if h.institution == "" && item.GetInstitutionId() != "" {
		if name, err := a.institutionName(ctx, item.GetInstitutionId()); err == nil {
			h.institution = name
		} else {
			h.institution = item.GetInstitutionId()
		}
	}
	if h.institution == "" {
		h.institution = "unknown institution"
	}
	if st, ok := resp.GetStatusOk(); ok && st != nil {
		if tx, ok := st.GetTransactionsOk(); ok && tx != nil {
			h.lastSuccess = tx.GetLastSuccessfulUpdate()
			h.lastFailure = tx.GetLastFailedUpdate()
		}
	}
	if n, err := a.countAccounts(ctx, it.AccessToken); err == nil {
		h.accounts = n
	}
	return h
}

// status prints one line per item and the problems found; it returns
// exitFailed when any item needs attention.
func (a *app) status(ctx context.Context) int {
	code := exitOK
	if a.settingsErr != nil || len(a.settings.Skipped) > 0 {
		// Already printed as warnings: sections that cannot be synced.
		code = exitFailed
	}
	if len(a.settings.Items) == 0 {
		fmt.Fprintf(a.stdout, "No items in %s. Link one with: %s\n", a.opts.config, a.command("--link", "My Bank"))
		return code
	}
	now := a.now()
	for _, it := range a.settings.Items {
		if ctx.Err() != nil {
			return exitInterrupted
		}
		h := a.checkItem(ctx, it)
		fmt.Fprintln(a.stdout, h.line())
		for _, p := range h.problems(a, now, a.opts.consentWarningDays) {
			fmt.Fprintf(a.stdout, "  WARNING: %s; repair: %s; fix: %s\n", p.what, p.repair, p.fix)
			code = exitFailed
		}
	}
	return code
}
