package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/itemhealth"
)

const (
	defaultListen      = "127.0.0.1:4583"
	defaultTimeout     = 30 * time.Minute
	defaultInstitution = "ins_109508" // First Platypus Bank, Plaid's sandbox test bank
	defaultUsername    = "user_good"
)

// action is the one thing a linktool run does.
type action int

const (
	actionNone action = iota
	actionLink
	actionUpdate
	actionExchange
	actionRemove
	actionStatus
	actionSandboxLink
)

type options struct {
	config      string
	action      action
	name        string // item the action works on
	publicToken string
	hosted      bool
	listen      string
	timeout     time.Duration
	institution string
	username    string
	// countryCodes and language override [PLAID] country_codes and
	// language when set.
	countryCodes       string
	language           string
	consentWarningDays int
	// products is --products: what a new link asks Plaid for.
	products string
	help     bool
}

const usageText = `linktool links banks to Plaid and keeps the INI file of telegraf-plaid
(shared with the plaid-sync plugin) up to date.

Usage:
  linktool -c FILE --link NAME [--products LIST] [--hosted] [--listen ADDR] [--timeout DUR]
  linktool -c FILE --update NAME [--hosted] [--listen ADDR] [--timeout DUR]
  linktool -c FILE --exchange NAME [--public-token -]
  linktool -c FILE --remove NAME
  linktool -c FILE --status
  linktool -c FILE --sandbox-link NAME [--institution ID] [--username USER]

Commands:
  --link NAME          Link a new bank as item NAME (alias --link-account). Opens
                       Plaid Link through a page served on --listen; after the
                       login the new access token is saved as section [NAME].
  --update NAME        Repair item NAME's login with Link in update mode (alias
                       --update-account). In the sandbox environment the item is
                       first put into ITEM_LOGIN_REQUIRED (/sandbox/item/reset_login)
                       so the flow can be tried.
  --exchange NAME      Finish a link whose exchange failed, with the public token
                       linktool printed (valid for 30 minutes). The token is read
                       from standard input (paste it when asked, or pipe it in),
                       or from the environment variable LINKTOOL_PUBLIC_TOKEN;
                       both keep it out of ps and your shell history.
  --remove NAME        Remove item NAME at Plaid (/item/remove, which ends billing
                       for it) and delete its section.
  --status             One line per item: institution, accounts, last successful
                       and failed update, error; warnings with the command that
                       fixes them. Disabled items are listed without asking Plaid.
  --sandbox-link NAME  Link a sandbox item without a browser
                       (/sandbox/public_token/create). Refused in production.

Options:
  -c, --config FILE    The INI file with [PLAID] client_id, secret, environment
                       (sandbox or production) and optional base_url,
                       country_codes and language. Required.
  --hosted             With --link/--update: use Plaid Hosted Link. linktool prints
                       a Plaid URL that can be opened on any device and polls
                       Plaid until the session ends; no local page is served.
  --listen ADDR        Where the local page listens (default 127.0.0.1:4583).
                       Loopback addresses only.
  --timeout DUR        How long to wait for the browser (default 30m).
  --public-token TOKEN With --exchange: the public-... token to exchange; "-"
                       reads it from standard input. A token given here shows in
                       ps and shell history: prefer stdin or LINKTOOL_PUBLIC_TOKEN.
  --institution ID     With --sandbox-link: institution (default ins_109508).
  --username USER      With --sandbox-link: sandbox username (default user_good).
  --country-codes LIST Countries whose banks Link offers, comma-separated
                       (default: [PLAID] country_codes, else US). Plaid knows
                       US GB ES NL FR IE CA DE IT PL DK NO SE EE LT LV PT BE
                       AT FI; your Plaid account must be enabled for them.
  --products LIST      With --link/--sandbox-link: what the new item gives
                       plaid-sync, comma-separated: transactions, investments,
                       liabilities (default transactions). A bare name is
                       required (Plaid's products: banks without it are not
                       offered); NAME:required_if_supported adds it where the
                       bank has it; NAME:optional lets the user add it. Plaid
                       bills Investments and Liabilities per item and month.
                       --status shows each item's products.
  --language LANG      Link's language (default: [PLAID] language, else en):
                       da de en es et fr hi it lt lv nl no pl pt ro sv vi.
  --consent-warning-days N
                       With --status: warn when a bank's consent for Plaid
                       expires within N days (default 7), as the plugin's
                       consent_warning_days.
  -h, --help           This help.
  --version            The version, commit and Go version of this build.
  Flags take one or two dashes.

Examples:
  linktool -c plaid.ini --link 'Test Chase'
  linktool -c plaid.ini --link 'Test Chase' --hosted
  linktool -c plaid.ini --link 'Broker' --products transactions,investments:required_if_supported,liabilities:optional
  linktool -c plaid.ini --update 'Test Chase'
  linktool -c plaid.ini --exchange 'Test Chase'        (then paste the token)
  linktool -c plaid.ini --exchange 'Test Chase' < public-token.txt
  linktool -c plaid.ini --remove 'Test Chase'
  linktool -c plaid.ini --status
  linktool -c plaid.ini --sandbox-link 'Sandbox Bank' --username user_transactions_dynamic
  On a headless host: ssh -L 4583:127.0.0.1:4583 HOST, run linktool there and
  open the printed URL on your own machine; or use --hosted.

Every change of the file takes a lock (FILE.lock), backs the file up first to
FILE.<unix time>.bkp (mode 0600), and replaces it atomically, keeping comments,
layout and the file's mode (0600, 0640 and 0400 stay; access for every user
is removed, and linktool says so). Temporary copies that an interrupted change
left behind (.FILE.tmp-*) are removed at the next run.

Tokens and the Plaid secret are shown shortened (access-sandbox-41c2…) in
everything linktool prints, except the token that is the only way back after
a failure: the public token when the exchange fails, the access token when
saving it fails. Each is printed once, in full, on standard error.

Exit codes:
  0    success
  1    the operation failed, was cancelled in Link, or (--status) an item needs attention
  2    usage or configuration error
  130  interrupted (Ctrl-C or SIGTERM)
`

// parseOptions reads the command line. Flags take one or two dashes, as
// Go's flag package allows.
func parseOptions(args []string) (options, error) {
	o := options{listen: defaultListen, timeout: defaultTimeout, institution: defaultInstitution, username: defaultUsername,
		consentWarningDays: itemhealth.DefaultConsentWarningDays, products: defaultProducts}
	fs := flag.NewFlagSet("linktool", flag.ContinueOnError)
	fs.SetOutput(io.Discard)

	var link, linkAccount, update, updateAccount, exchange, remove, sandbox string
	var status bool
	fs.StringVar(&o.config, "c", "", "")
	fs.StringVar(&o.config, "config", "", "")
	fs.StringVar(&link, "link", "", "")
	fs.StringVar(&linkAccount, "link-account", "", "")
	fs.StringVar(&update, "update", "", "")
	fs.StringVar(&updateAccount, "update-account", "", "")
	fs.StringVar(&exchange, "exchange", "", "")
	fs.StringVar(&remove, "remove", "", "")
	fs.BoolVar(&status, "status", false, "")
	fs.StringVar(&sandbox, "sandbox-link", "", "")
	fs.StringVar(&o.publicToken, "public-token", "", "")
	fs.BoolVar(&o.hosted, "hosted", false, "")
	fs.StringVar(&o.listen, "listen", o.listen, "")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "")
	fs.StringVar(&o.institution, "institution", o.institution, "")
	fs.StringVar(&o.username, "username", o.username, "")
	fs.StringVar(&o.countryCodes, "country-codes", "", "")
	fs.StringVar(&o.language, "language", "", "")
	fs.StringVar(&o.products, "products", o.products, "")
	fs.IntVar(&o.consentWarningDays, "consent-warning-days", o.consentWarningDays, "")
	fs.BoolVar(&o.help, "h", false, "")
	fs.BoolVar(&o.help, "help", false, "")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.help {
		return o, nil
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (quote names with spaces: --link 'Test Chase')", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	type actionFlag struct {
		flag  string
		act   action
		value string
	}
	var given []actionFlag
	for _, a := range []actionFlag{
		{"link", actionLink, link}, {"link-account", actionLink, linkAccount},
		{"update", actionUpdate, update}, {"update-account", actionUpdate, updateAccount},
		{"exchange", actionExchange, exchange}, {"remove", actionRemove, remove},
		{"status", actionStatus, ""}, {"sandbox-link", actionSandboxLink, sandbox},
	} {
		if set[a.flag] {
			given = append(given, a)
		}
	}
	if len(given) == 0 {
		return o, errors.New("nothing to do: give one of --link, --update, --exchange, --remove, --status or --sandbox-link")
	}
	for _, g := range given[1:] {
		if g.act != given[0].act {
			return o, fmt.Errorf("choose one of --%s and --%s", given[0].flag, g.flag)
		}
		if g.value != given[0].value {
			return o, fmt.Errorf("--%s and --%s name different items (%q and %q)", given[0].flag, g.flag, given[0].value, g.value)
		}
	}
	o.action, o.name = given[0].act, given[0].value
	switch {
	case o.config == "":
		return o, errors.New("the configuration file is required: -c plaid.ini")
	case o.action != actionStatus && strings.TrimSpace(o.name) == "":
		return o, errors.New("the item name is empty")
	case o.action != actionExchange && set["public-token"]:
		return o, errors.New("--public-token goes with --exchange")
	case o.hosted && o.action != actionLink && o.action != actionUpdate:
		return o, errors.New("--hosted goes with --link or --update")
	case o.timeout <= 0:
		return o, errors.New("--timeout must be positive, e.g. 30m")
	case (set["institution"] || set["username"]) && o.action != actionSandboxLink:
		return o, errors.New("--institution and --username go with --sandbox-link")
	case set["consent-warning-days"] && o.action != actionStatus:
		return o, errors.New("--consent-warning-days goes with --status")
	case o.consentWarningDays < 0 || o.consentWarningDays > 365:
		return o, fmt.Errorf("--consent-warning-days must be 0-365, got %d", o.consentWarningDays)
	}
	if set["products"] {
		if o.action != actionLink && o.action != actionSandboxLink {
			return o, errors.New("--products goes with --link or --sandbox-link (an item's products are set when it is linked)")
		}
		if _, err := parseProducts(o.products); err != nil {
			return o, fmt.Errorf("--products: %w", err)
		}
	}
	if set["country-codes"] {
		if _, err := parseCountryCodes(o.countryCodes); err != nil {
			return o, fmt.Errorf("--country-codes: %w", err)
		}
	}
	if set["language"] {
		if err := checkLanguage(o.language); err != nil {
			return o, fmt.Errorf("--language: %w", err)
		}
	}
	return o, nil
}
