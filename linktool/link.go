package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/plaid-sync/telegraf-plaid/internal/itemhealth"
	"github.com/plaid-sync/telegraf-plaid/internal/redact"
)

// plaidSDKURL is where Plaid serves Link's browser SDK; it must be loaded
// from there in real use.
const plaidSDKURL = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"

// sdkURL is Plaid's SDK, or the stand-in of the emulator or proxy that
// base_url names.
func (a *app) sdkURL() string {
	if a.settings.BaseURL != "" {
		return a.baseURL + "/link/v2/stable/link-initialize.js"
	}
	return plaidSDKURL
}

// link runs Plaid Link for a new item, or in update mode for an existing one.
func (a *app) link(ctx context.Context, update bool) int {
	name := a.opts.name
	var accessToken string
	if update {
		it, err := a.existingItem(name)
		if err != nil {
			return a.fail(err)
		}
		accessToken = it.AccessToken
	} else if err := a.checkNewName(name); err != nil {
		return a.fail(err)
	}

	// Bind the page first: a taken port should fail before Plaid is called.
	var page *linkPage
	if !a.opts.hosted {
		var err error
		if page, err = listenPage(a.opts.listen); err != nil {
			return a.fail(err)
		}
		defer page.close()
	}

	if update && a.sandbox() {
		fmt.Fprintf(a.stdout, "Sandbox: forcing %s into ITEM_LOGIN_REQUIRED (/sandbox/item/reset_login) so the update flow can be tried.\n", name)
		if err := a.resetLogin(ctx, accessToken); err != nil {
			return a.fail(err)
		}
	}
	lt, err := a.createLinkToken(ctx, accessToken, a.opts.hosted)
	if err != nil {
		return a.fail(err)
	}
	a.secrets.Add(lt.token)

	waitCtx, cancel := context.WithTimeout(ctx, a.opts.timeout)
	defer cancel()
	var res pageResult
	if a.opts.hosted {
		fmt.Fprintf(a.stdout, "Open the following page in your browser to continue:\n    %s\n", lt.hostedURL)
		fmt.Fprintf(a.stdout, "It is served by Plaid and works from any device. Waiting for the Link session to finish (up to %s; Ctrl-C to stop).\n", a.opts.timeout)
		res, err = a.waitHosted(waitCtx, lt)
	} else {
		page.start(name, update, lt.token, a.sdkURL(), a.baseURL)
		fmt.Fprintf(a.stdout, "Open the following page in your browser to continue:\n    %s\n", page.url)
		fmt.Fprintf(a.stdout, "Waiting for the browser (up to %s; Ctrl-C to stop).\n", a.opts.timeout)
		res, err = page.wait(waitCtx)
	}
	retry := a.retryCommand(update)
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintf(a.stderr, "Interrupted. %s was not changed. To try again, run:\n    %s\n", a.opts.config, retry)
		return exitInterrupted
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(a.stderr, "No answer from Plaid Link within %s. %s was not changed. To try again, run:\n    %s\n", a.opts.timeout, a.opts.config, retry)
		return exitFailed
	case err != nil:
		fmt.Fprintf(a.stderr, "linktool: %v\n%s was not changed. To try again, run:\n    %s\n", err, a.opts.config, retry)
		return exitFailed
	case res.exited && res.exitCode != "":
		fmt.Fprintf(a.stderr, "Plaid Link was closed with %s: %s, before the bank was linked. %s was not changed. To try again, run:\n    %s\n",
			res.exitCode, res.exitMessage, a.opts.config, retry)
		return exitFailed
	case res.exited:
		// No error: the person closed Link. Its status names the step they
		// were at, not a cause ("institution_not_found" is the bank search).
		fmt.Fprintf(a.stderr, "You cancelled Plaid Link%s; nothing was linked. %s was not changed. To try again, run:\n    %s\n",
			linkStep(res.exitStatus), a.opts.config, retry)
		return exitFailed
	}
	a.secrets.Add(res.publicToken)
	if update {
		fmt.Fprintf(a.stdout, "Public token obtained [%s].\n", redact.Token(res.publicToken))
		fmt.Fprintln(a.stdout, "There is nothing else to do, the account should sync properly now with the existing credentials.")
		return exitOK
	}
	if page != nil {
		page.close() // the answer has reached the browser; nothing else may come in
	}
	return a.finishLink(ctx, name, res.publicToken)
}

func (a *app) retryCommand(update bool) string {
	flag := "--link"
	if update {
		flag = "--update"
	}
	var more []string
	if a.opts.hosted {
		more = append(more, "--hosted")
	} else if a.opts.listen != defaultListen {
		more = append(more, "--listen", itemhealth.ShellQuote(a.opts.listen))
	}
	return a.command(flag, a.opts.name, more...)
}

// linkSteps are Plaid Link's exit statuses as the step the person left at.
var linkSteps = map[string]string{
	"institution_not_found":      "while choosing the bank",
	"institution_not_supported":  "while choosing the bank",
	"requires_credentials":       "at the bank's login",
	"requires_oauth":             "at the bank's own login page",
	"requires_questions":         "at the bank's security questions",
	"requires_selections":        "at the bank's security questions",
	"requires_code":              "while entering a security code",
	"choose_device":              "while choosing where to get a security code",
	"requires_account_selection": "while choosing the accounts",
}

func linkStep(status string) string {
	if step, ok := linkSteps[status]; ok {
		return " (" + step + ")"
	}
	return ""
}
