package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidini"
)

// staleAfter is how old the last successful update may be before an item
// needs attention, as in plaid-sync.
const staleAfter = 3 * 24 * time.Hour

// itemHealth is what --status learns about one item.
type itemHealth struct {
	name        string
	disabled    bool
	institution string
	accounts    int // -1 when Plaid would not list them
	lastSuccess time.Time
	lastFailure time.Time
	errorCode   string
	checkErr    error // Plaid could not be asked
}

// problem is one reason an item needs attention, with the command that fixes it.
type problem struct{ what, fix string }

// problems returns why h needs attention at now; none means it is fine.
func (h itemHealth) problems(a *app, now time.Time) []problem {
	if h.disabled {
		return nil
	}
	update := a.command("--update", h.name)
	relink := a.command("--remove", h.name) + " && " + a.command("--link", h.name)
	var out []problem
	switch {
	case h.checkErr != nil:
		return []problem{{what: fmt.Sprintf("could not check with Plaid: %v", h.checkErr), fix: "check the network and [PLAID] settings, then run --status again"}}
	case h.errorCode == "ITEM_NOT_FOUND" || h.errorCode == "INVALID_ACCESS_TOKEN":
		return []problem{{what: "Plaid no longer knows this item (" + h.errorCode + ")", fix: relink}}
	case h.errorCode != "":
		out = append(out, problem{what: "Plaid reports " + h.errorCode, fix: update})
	}
	if !h.lastFailure.IsZero() && h.lastFailure.After(h.lastSuccess) {
		out = append(out, problem{what: "the last update attempt failed", fix: update})
	}
	if !h.lastSuccess.IsZero() && now.Sub(h.lastSuccess) > staleAfter {
		out = append(out, problem{what: "the last successful update was more than 3 days ago", fix: update})
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
	}
	return fmt.Sprintf("%s: %s, %s, last success %s, last failure %s, error %s",
		h.name, h.institution, accounts, when(h.lastSuccess), when(h.lastFailure), code)
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
		if code := plaidCode(err); code == "ITEM_NOT_FOUND" || code == "INVALID_ACCESS_TOKEN" {
			h.errorCode = code
			return h
		}
		h.checkErr = err
		return h
	}
	item := resp.GetItem()
	if item.Error.IsSet() && item.Error.Get() != nil {
		h.errorCode = item.Error.Get().ErrorCode
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
		for _, p := range h.problems(a, now) {
			fmt.Fprintf(a.stdout, "  WARNING: %s; fix: %s\n", p.what, p.fix)
			code = exitFailed
		}
	}
	return code
}
