package main

import (
	"context"
	"fmt"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidini"
	"github.com/plaid-sync/telegraf-plaid/internal/redact"
)

// finishLink exchanges a public token and saves the access token as item
// name. Whatever fails after a token exists, the token is printed in full,
// once, past the redactor, with what to do with it, so a link is never
// lost: the public token for --exchange (it lives 30 minutes), the access
// token as the INI lines to paste (it does not expire).
func (a *app) finishLink(ctx context.Context, name, publicToken string) int {
	a.secrets.Add(publicToken)
	fmt.Fprintf(a.stdout, "Public token obtained [%s]. Exchanging for access token.\n", redact.Token(publicToken))
	accessToken, _, err := a.exchangePublicToken(ctx, publicToken)
	if err != nil {
		fmt.Fprintf(a.stderr, "Exchanging the public token failed: %v\n", err)
		fmt.Fprintf(a.stderr, "To finish this link within 30 minutes (before the public token expires), run:\n    %s\n"+
			"and paste this public token when it asks (it is shown here only):\n",
			a.command("--exchange", name, "--public-token", "-"))
		fmt.Fprintf(a.rawStderr, "    %s\n", publicToken)
		return exitFailed
	}
	a.secrets.Add(accessToken)
	fmt.Fprintf(a.stdout, "Access token received: %s\n", redact.Token(accessToken))
	return a.saveItem(name, accessToken)
}

// saveItem adds [name] with accessToken to the configuration file.
func (a *app) saveItem(name, accessToken string) int {
	fmt.Fprintln(a.stdout, "Saving new link to configuration file")
	_, err := a.rewrite(func(f *plaidini.File) error {
		if f.Has(name) {
			// A section left without a usable token: link it in place.
			return f.SetKey(name, "access_token", accessToken)
		}
		return f.AddSection(name, [][2]string{{"access_token", accessToken}})
	})
	if err != nil {
		fmt.Fprintf(a.stderr, "Saving the new link failed: %v\n", err)
		fmt.Fprintf(a.stderr, "%s was not changed. Nothing is lost: the item is linked at Plaid and its access token does not expire.\n"+
			"Add these lines to %s yourself (or to a copy, then move it in place); the token is shown here only:\n\n",
			a.opts.config, a.opts.config)
		fmt.Fprintf(a.rawStderr, "[%s]\naccess_token = %s\n\n", name, accessToken)
		return exitFailed
	}
	fmt.Fprintf(a.stdout, "%s is linked and is ready to sync.\n", name)
	return exitOK
}

// reportRewrite tells where the original went and what was rewritten, in
// the words plaid-sync used.
func (a *app) reportRewrite(backup string) {
	fmt.Fprintf(a.stdout, "Backing up existing configuration to: %s\n", backup)
	fmt.Fprintf(a.stdout, "Overwriting existing config file: %s\n", a.opts.config)
}
