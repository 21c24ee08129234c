package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/buildinfo"
	"github.com/plaid-sync/telegraf-plaid/internal/itemhealth"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidini"
	"github.com/plaid-sync/telegraf-plaid/internal/redact"
	"github.com/plaid/plaid-go/v42/plaid"
)

// app is one linktool run: its options, configuration and Plaid client.
type app struct {
	opts options
	// stdout and stderr remove every secret linktool knows of (see
	// internal/redact); rawStderr does not, for the one deliberate
	// exception: the token that is the only way back after a failure.
	stdout    io.Writer
	stderr    io.Writer
	rawStderr io.Writer
	secrets   *redact.Redactor
	file      *plaidini.File
	settings  plaidini.Settings
	// settingsErr holds problems of sections other than the one worked on.
	settingsErr error
	baseURL     string // Plaid API root in use
	client      *plaid.APIClient
	now         func() time.Time
}

// usageError marks problems with the command line or the configuration,
// which end the run with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run is linktool's whole life, from arguments to exit code; main only adds
// the process's signals and streams. Everything it prints goes through one
// redactor, which learns the secrets as they come: the public token given,
// the INI file's credentials and tokens, the tokens Plaid hands over.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	secrets := redact.New()
	a := &app{stdout: secrets.Writer(stdout), stderr: secrets.Writer(stderr), rawStderr: stderr, secrets: secrets, now: time.Now}
	if wantsVersion(args) {
		fmt.Fprintln(a.stdout, buildinfo.Line("linktool", version))
		return exitOK
	}
	opts, err := parseOptions(args)
	if errors.Is(err, flag.ErrHelp) || err == nil && opts.help {
		fmt.Fprint(a.stdout, usageText)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "linktool: %v\nRun linktool -h for help.\n", withExample(err))
		return exitUsage
	}
	a.opts = opts
	secrets.Add(opts.publicToken)
	if err := a.loadConfig(); err != nil {
		fmt.Fprintf(a.stderr, "linktool: %v\n", err)
		return exitUsage
	}
	if opts.action != actionStatus {
		// Before Plaid is asked for anything: a link made and then not
		// saved costs the user a second trip through Plaid Link.
		if err := plaidini.CheckWritable(opts.config); err != nil {
			fmt.Fprintf(a.stderr, "linktool: %v\n", err)
			return exitUsage
		}
	}
	if opts.action == actionExchange {
		if err := a.readPublicToken(stdin); err != nil {
			return a.fail(err)
		}
	}
	var code int
	switch opts.action {
	case actionLink:
		code = a.link(ctx, false)
	case actionUpdate:
		code = a.link(ctx, true)
	case actionExchange:
		code = a.exchange(ctx)
	case actionRemove:
		code = a.remove(ctx)
	case actionStatus:
		code = a.status(ctx)
	case actionSandboxLink:
		code = a.sandboxLink(ctx)
	}
	if code != exitOK && ctx.Err() != nil {
		return exitInterrupted
	}
	return code
}

// loadConfig reads the INI file and builds the Plaid client from [PLAID].
func (a *app) loadConfig() error {
	a.learnFileSecrets()
	a.removeStaleTemps()
	f, err := plaidini.Load(a.opts.config)
	if err != nil {
		return err
	}
	a.file = f
	if warn := worldAccessible(a.opts.config); warn != "" {
		fmt.Fprintf(a.stderr, "Warning: %s\n", warn)
	}
	st, err := f.Settings()
	if err != nil {
		// Problems in other sections do not stop work on the one named;
		// --status reports them as needing attention.
		fmt.Fprintf(a.stderr, "Warning: %v\n", err)
		a.settingsErr = err
	}
	a.settings = st
	for _, s := range st.Skipped {
		fmt.Fprintf(a.stderr, "Warning: %s; to link it again: %s\n", s, a.command("--link", s.Section))
	}
	a.secrets.Add(st.ClientID, st.Secret)
	for _, it := range st.Items {
		a.secrets.Add(it.AccessToken)
	}
	if !f.Has(plaidini.CredentialsSection) {
		return usagef("%s has no [%s] section with client_id, secret and environment", a.opts.config, plaidini.CredentialsSection)
	}
	var missing []string
	for _, kv := range [][2]string{{"client_id", st.ClientID}, {"secret", st.Secret}, {"environment", st.Environment}} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	if len(missing) > 0 {
		return usagef("%s: [%s] needs %s", a.opts.config, plaidini.CredentialsSection, strings.Join(missing, ", "))
	}
	base, err := plaidapi.BaseURL(st.Environment, st.BaseURL)
	if err != nil {
		return usagef("%s: [%s] %v", a.opts.config, plaidini.CredentialsSection, err)
	}
	a.baseURL = base
	a.client = plaidapi.NewClient(plaidapi.Options{
		ClientID: st.ClientID, Secret: st.Secret, BaseURL: base,
		Timeout: 60 * time.Second, UserAgent: "telegraf-plaid-linktool",
	})
	return nil
}

func (a *app) sandbox() bool {
	return strings.EqualFold(strings.TrimSpace(a.settings.Environment), plaidapi.EnvSandbox)
}

// clientUserID identifies this installation to Plaid without revealing
// anything: a hash of the client id.
func (a *app) clientUserID() string {
	sum := sha256.Sum256([]byte("telegraf-plaid:" + a.settings.ClientID))
	return "telegraf-plaid-" + hex.EncodeToString(sum[:8])
}

// checkNewName refuses a name that cannot become a new item section.
func (a *app) checkNewName(name string) error {
	if err := plaidini.ValidSectionName(name); err != nil {
		return usagef("%q cannot be an item name: %v", name, err)
	}
	for _, reserved := range []string{plaidini.CredentialsSection, plaidini.LegacySection, plaidini.DefaultSection} {
		if strings.EqualFold(name, reserved) {
			return usagef("%q is reserved for linktool's own settings; choose another name", name)
		}
	}
	if a.file.Has(name) && !a.skipped(name) {
		return usagef("%s already has a section [%s] (line %d); choose another name, or repair it with: %s",
			a.opts.config, name, a.file.SectionLine(name), a.command("--update", name))
	}
	return nil
}

// skipped reports whether [name] is an item section without a usable
// access_token: linking fills it in.
func (a *app) skipped(name string) bool {
	for _, s := range a.settings.Skipped {
		if s.Section == name {
			return true
		}
	}
	return false
}

// existingItem returns the configured item called name, or an error that
// lists the configured ones.
func (a *app) existingItem(name string) (plaidini.Item, error) {
	if it, ok := a.settings.Item(name); ok {
		return it, nil
	}
	if a.file.Has(name) && plaidini.IsItemSection(name) {
		return plaidini.Item{}, usagef("[%s] in %s has no valid access_token (see the warning above)", name, a.opts.config)
	}
	var names []string
	for _, it := range a.settings.Items {
		names = append(names, itemhealth.SingleQuote(it.Name))
	}
	known := "none"
	if len(names) > 0 {
		known = strings.Join(names, ", ")
	}
	return plaidini.Item{}, usagef("no item named %s in %s; configured items: %s", itemhealth.SingleQuote(name), a.opts.config, known)
}

// command renders a linktool command line for the user to run: the action
// flag, the item name (always single-quoted, as users are used to) and any
// further arguments.
func (a *app) command(flag, name string, more ...string) string {
	return a.commands().Command(flag, name, more...)
}

// commands renders linktool commands exactly as the plugin does.
func (a *app) commands() itemhealth.Commands {
	return itemhealth.Commands{Linktool: "linktool", File: a.opts.config}
}
