package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidini"
)

// exchange finishes a link from a public token the user kept.
func (a *app) exchange(ctx context.Context) int {
	name, token := a.opts.name, strings.TrimSpace(a.opts.publicToken)
	if err := a.checkNewName(name); err != nil {
		return a.fail(err)
	}
	if !strings.HasPrefix(token, "public-") {
		return a.fail(usagef("--public-token must be a public token (public-...), as linktool printed it"))
	}
	return a.finishLink(ctx, name, token)
}

// sandboxLink links a sandbox item without a browser.
func (a *app) sandboxLink(ctx context.Context) int {
	name := a.opts.name
	if !a.sandbox() {
		return a.fail(usagef("--sandbox-link works only with environment = sandbox (%s says %q)", a.opts.config, a.settings.Environment))
	}
	if err := a.checkNewName(name); err != nil {
		return a.fail(err)
	}
	publicToken, err := a.sandboxPublicToken(ctx, a.opts.institution, a.opts.username)
	if err != nil {
		return a.fail(err)
	}
	a.secrets.Add(publicToken)
	return a.finishLink(ctx, name, publicToken)
}

// remove ends an item at Plaid, then deletes its section.
func (a *app) remove(ctx context.Context) int {
	name := a.opts.name
	if !plaidini.IsItemSection(name) {
		return a.fail(usagef("[%s] holds linktool's own settings, not an item", name))
	}
	if !a.file.Has(name) {
		_, err := a.existingItem(name)
		return a.fail(err)
	}
	token, _ := a.file.Get(name, "access_token")
	var err error
	if token != "" {
		err = a.removeItem(ctx, token)
	}
	switch {
	case token == "":
		fmt.Fprintf(a.stdout, "[%s] has no access token, so there is nothing to remove at Plaid.\n", name)
	case err == nil:
		fmt.Fprintf(a.stdout, "Plaid removed %s; billing for it has ended.\n", name)
	case plaidCode(err) == "ITEM_NOT_FOUND" || plaidCode(err) == "INVALID_ACCESS_TOKEN":
		fmt.Fprintf(a.stdout, "Plaid no longer knows %s (%s); removing its section anyway.\n", name, plaidCode(err))
	default:
		fmt.Fprintf(a.stderr, "Removing %s at Plaid failed: %v\n%s was not changed; try again later.\n", name, err, a.opts.config)
		return exitFailed
	}
	_, uerr := a.rewrite(func(f *plaidini.File) error { return f.RemoveSection(name) })
	if uerr != nil {
		fmt.Fprintf(a.stderr, "Deleting [%s] from %s failed: %v\nThe item is gone at Plaid; delete its section from %s yourself.\n",
			name, a.opts.config, uerr, a.opts.config)
		return exitFailed
	}
	fmt.Fprintf(a.stdout, "%s was removed.\n", name)
	return exitOK
}

// fail prints err and returns its exit code: exitUsage for usage and
// configuration problems, exitFailed for the rest.
func (a *app) fail(err error) int {
	fmt.Fprintf(a.stderr, "linktool: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailed
}
