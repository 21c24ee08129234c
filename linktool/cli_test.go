package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/itemhealth"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
	"github.com/plaid-sync/telegraf-plaid/internal/redact"
	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"
)

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		res := runTool(t, arg)
		require.Equal(t, exitOK, res.code)
		for _, want := range []string{"--link NAME", "--update NAME", "--exchange NAME", "--remove NAME", "--status", "--sandbox-link NAME",
			"--hosted", "--listen ADDR", "--timeout DUR", "Examples:", "ssh -L 4583:127.0.0.1:4583", "Exit codes:", "130"} {
			require.Contains(t, res.stdout, want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	_, url := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), url)
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"nothing to do", []string{"-c", path}, "nothing to do"},
		{"no config", []string{"--status"}, "the configuration file is required"},
		{"two actions", []string{"-c", path, "--status", "--remove", "X"}, "choose one of"},
		{"alias disagrees", []string{"-c", path, "--link", "A", "--link-account", "B"}, "name different items"},
		{"stray argument", []string{"-c", path, "--link", "Test", "Chase"}, `unexpected argument "Chase"`},
		{"exchange without token", []string{"-c", path, "--exchange", "A"}, "no public token on standard input"},
		{"hosted with remove", []string{"-c", path, "--remove", "A", "--hosted"}, "--hosted goes with --link or --update"},
		{"unknown flag", []string{"-c", path, "--lnk", "A"}, "flag provided but not defined: -lnk"},
		{"reserved name", []string{"-c", path, "--sandbox-link", "plaid"}, `"plaid" is reserved`},
		{"existing name", []string{"-c", path, "--sandbox-link", "plaid-sync"}, "is reserved"},
		{"bad name", []string{"-c", path, "--exchange", "A]B", "--public-token", "public-sandbox-x"}, "cannot be an item name"},
		{"unknown item", []string{"-c", path, "--update", "Nope"}, "no item named 'Nope'"},
		{"missing file", []string{"-c", path + ".missing", "--status"}, "no such file"},
		{"non-loopback listen", []string{"-c", path, "--link", "New", "--listen", "0.0.0.0:4583"}, "only loopback addresses"},
		{"unknown product", []string{"-c", path, "--link", "New", "--products", "transactions,auth"}, `--products: "auth" is not one of`},
		{"no required product", []string{"-c", path, "--link", "New", "--products", "investments:optional"}, "at least one product must be required"},
		{"product twice", []string{"-c", path, "--link", "New", "--products", "liabilities,liabilities:optional"}, "liabilities is named twice"},
		{"bad product role", []string{"-c", path, "--link", "New", "--products", "transactions:maybe"}, "NAME:required_if_supported or NAME:optional"},
		{"products with update", []string{"-c", path, "--update", "X", "--products", "transactions"}, "--products goes with --link or --sandbox-link"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runTool(t, tc.args...)
			require.Equal(t, exitUsage, res.code, res.stderr)
			require.Contains(t, res.stderr, tc.msg)
			requireUntouched(t, path, original)
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, content, msg string
	}{
		{"malformed", "[PLAID]\nclient_id = x\n[Broken\n", "plaid.ini:3: section header \"[Broken\" is missing its closing ']'"},
		{"no credentials", "[Test Chase]\naccess_token = access-sandbox-1\n", "has no [PLAID] section"},
		{"missing keys", "[PLAID]\nclient_id = x\n", "[PLAID] needs secret, environment"},
		{"development", "[PLAID]\nclient_id = x\nsecret = y\nenvironment = development\n", "shut down by Plaid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plaid.ini")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			res := runTool(t, "-c", path, "--status")
			require.Equal(t, exitUsage, res.code)
			require.Contains(t, res.stderr, tc.msg)
			requireUntouched(t, path, tc.content)
		})
	}
}

func TestSandboxLink(t *testing.T) {
	emu, url := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), url)
	require.NoError(t, os.Chmod(path, 0o644))

	res := runTool(t, "-c", path, "--sandbox-link", "Sandbox Bank", "--username", "user_transactions_dynamic")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stderr, "has mode 0644, which lets every user on this host read or write it; run: chmod o-rwx "+path)
	require.Regexp(t, `^Public token obtained \[public-sandbox-[0-9a-f]{4}…\]\. Exchanging for access token\.
Access token received: access-sandbox-[0-9a-f]{4}…
Saving new link to configuration file
Backing up existing configuration to: .*\.bkp
Overwriting existing config file: .*plaid\.ini
.*plaid\.ini had mode 0644, readable or writable by every user; it now has mode 0640\.
Sandbox Bank is linked and is ready to sync\.
$`, res.stdout)
	content := requireSavedWithMode(t, res, path, original, 0o640)
	token := savedToken(t, path, "Sandbox Bank")
	require.Equal(t, original+"\n[Sandbox Bank]\naccess_token = "+token+"\n", content)
	require.NotContains(t, res.stdout+res.stderr, token, "the access token is only shown redacted")
	it, ok := emuItem(t, emu, token)
	require.True(t, ok, "the saved token is the item's")
	require.Equal(t, "ins_109508", it.InstitutionID)
	require.NoError(t, syncOnce(url, token), "the new item syncs")

	// The name is now taken.
	again := runTool(t, "-c", path, "--sandbox-link", "Sandbox Bank")
	require.Equal(t, exitUsage, again.code)
	require.Contains(t, again.stderr, "already has a section [Sandbox Bank]")
	require.Len(t, backups(t, path), 1)
}

func TestSandboxLinkRefusedInProduction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plaid.ini")
	content := "[PLAID]\nclient_id = x\nsecret = y\nenvironment = production\n"
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	res := runTool(t, "-c", path, "--sandbox-link", "X")
	require.Equal(t, exitUsage, res.code)
	require.Contains(t, res.stderr, `--sandbox-link works only with environment = sandbox`)
	requireUntouched(t, path, content)
}

func TestExchange(t *testing.T) {
	emu, url := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), url)
	public := sandboxPublicToken(t, url)

	res := runTool(t, "-c", path, "--exchange", "Recovered Bank", "--public-token", public)
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, "Public token obtained ["+redact.Token(public)+"]. Exchanging for access token.\n")
	require.Contains(t, res.stdout, "Recovered Bank is linked and is ready to sync.\n")
	requireSaved(t, res, path, original)
	_, ok := emuItem(t, emu, savedToken(t, path, "Recovered Bank"))
	require.True(t, ok)
}

func TestExchangeFailurePrintsRecoveryCommand(t *testing.T) {
	_, url := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), url)
	public := sandboxPublicToken(t, url)
	// Spend the token so that the exchange fails.
	_, _, err := testClient(url).PlaidApi.ItemPublicTokenExchange(context.Background()).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(public)).Execute()
	require.NoError(t, err)

	// A spent token cannot be exchanged again: the way back is a new link.
	res := runTool(t, "-c", path, "--exchange", "My Bank", "--public-token", public)
	require.Equal(t, exitFailed, res.code)
	require.Contains(t, res.stderr, "Exchanging the public token failed: /item/public_token/exchange: INVALID_PUBLIC_TOKEN")
	require.Contains(t, res.stderr, "so it cannot be used again. "+path+" was not changed. Link the bank again with:\n    linktool -c "+path+" --link 'My Bank'\n")
	require.NotContains(t, res.stderr, "--exchange")
	require.NotContains(t, res.stdout+res.stderr, public, "a spent token is not worth printing")
	requireUntouched(t, path, original)

	// A failure that may pass: the token is printed once, with the
	// --exchange command that takes it.
	emu, url := startEmulator(t, -1)
	path, original = writeINI(t, t.TempDir(), url)
	public = sandboxPublicToken(t, url)
	_, err = emu.AddFault(plaidemu.Fault{Endpoint: "/item/public_token/exchange", ErrorCode: "INTERNAL_SERVER_ERROR"})
	require.NoError(t, err)
	res = runTool(t, "-c", path, "--exchange", "My Bank", "--public-token", public)
	require.Equal(t, exitFailed, res.code)
	require.Contains(t, res.stderr, "run:\n    linktool -c "+path+" --exchange 'My Bank' --public-token -\n"+
		"and paste this public token when it asks (it is shown here only):\n    "+public+"\n")
	require.Equal(t, 1, strings.Count(res.stdout+res.stderr, public), "the public token is printed once")
	requireUntouched(t, path, original)
}

func TestSaveFailurePrintsAccessToken(t *testing.T) {
	emu, url := startEmulator(t, -1)
	// The directory becomes read-only after linktool checked it could
	// write there, as when the disk fills up during the link.
	var original string
	dir, makeReadOnly := laterReadOnlyDir(t, func(dir string) { _, original = writeINI(t, dir, url) })
	path := filepath.Join(dir, "plaid.ini")
	beforeRewrite = func(string) { makeReadOnly() }
	t.Cleanup(func() { beforeRewrite = nil })

	res := runTool(t, "-c", path, "--sandbox-link", "Lost Bank")
	require.Equal(t, exitFailed, res.code)
	require.Contains(t, res.stderr, "Saving the new link failed:")
	require.Regexp(t, "read-only file system|permission denied", res.stderr)
	m := regexp.MustCompile(`\n\[Lost Bank\]\naccess_token = (access-sandbox-\S+)\n`).FindStringSubmatch(res.stderr)
	require.NotNil(t, m, "the INI lines to paste are printed:\n%s", res.stderr)
	_, ok := emuItem(t, emu, m[1])
	require.True(t, ok, "the printed access token is the real one")
	require.Equal(t, original, readFile(t, path))
}

func TestRemove(t *testing.T) {
	emu, url := startEmulator(t, 2)
	items := emu.Items()
	path, original := writeINI(t, t.TempDir(), url, items...)
	gone, kept := items[0], items[1]

	res := runTool(t, "-c", path, "--remove", gone.Name)
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, "Plaid removed "+gone.Name+"; billing for it has ended.\n")
	require.Contains(t, res.stdout, gone.Name+" was removed.\n")
	content := requireSaved(t, res, path, original)
	require.NotContains(t, content, "["+gone.Name+"]")
	require.NotContains(t, content, gone.AccessToken)
	require.Contains(t, content, "# "+kept.InstitutionName+"\n["+kept.Name+"]\naccess_token = "+kept.AccessToken+"\n")
	_, ok := emuItem(t, emu, gone.AccessToken)
	require.False(t, ok, "the item is gone at Plaid")

	// A section whose item Plaid no longer knows is removed all the same.
	require.NoError(t, os.WriteFile(path, []byte(content+"\n[Stale]\naccess_token = "+gone.AccessToken+"\n"), 0o600))
	res = runTool(t, "-c", path, "--remove", "Stale")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Regexp(t, `Plaid no longer knows Stale \((ITEM_NOT_FOUND|INVALID_ACCESS_TOKEN)\); removing its section anyway\.`, res.stdout)
	require.Equal(t, content+"\n", readFile(t, path))
}

func TestUnknownItemListsConfiguredOnes(t *testing.T) {
	emu, url := startEmulator(t, 2)
	items := emu.Items()
	path, original := writeINI(t, t.TempDir(), url, items...)
	for _, flag := range []string{"--update", "--remove"} {
		res := runTool(t, "-c", path, flag, "Nope")
		require.Equal(t, exitUsage, res.code)
		require.Contains(t, res.stderr, "no item named 'Nope' in "+path+"; configured items: '"+items[0].Name+"', '"+items[1].Name+"'\n")
		requireUntouched(t, path, original)
	}
}

func TestRemoveKeepsSectionWhenPlaidFails(t *testing.T) {
	emu, url := startEmulator(t, 1)
	items := emu.Items()
	path, original := writeINI(t, t.TempDir(), url, items...)
	_, err := emu.AddFault(plaidemu.Fault{Endpoint: "/item/remove", ErrorCode: "INTERNAL_SERVER_ERROR", Count: 1})
	require.NoError(t, err)

	res := runTool(t, "-c", path, "--remove", items[0].Name)
	require.Equal(t, exitFailed, res.code)
	require.Contains(t, res.stderr, "Removing "+items[0].Name+" at Plaid failed: /item/remove: INTERNAL_SERVER_ERROR")
	require.Contains(t, res.stderr, path+" was not changed; try again later.")
	requireUntouched(t, path, original)
	_, ok := emuItem(t, emu, items[0].AccessToken)
	require.True(t, ok)
}

func TestStatus(t *testing.T) {
	emu, url := startEmulator(t, 3)
	items := emu.Items()
	path, _ := writeINI(t, t.TempDir(), url, items...)

	res := runTool(t, "-c", path, "--status")
	require.Equal(t, exitOK, res.code, res.stdout+res.stderr)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.Len(t, lines, 3)
	for i, it := range items {
		require.Regexp(t, "^"+regexp.QuoteMeta(it.Name+": "+it.InstitutionName+", ")+`\d+ accounts?, last success \d{4}-\d\d-\d\d \d\d:\d\d UTC, last failure (never|[-0-9: ]+UTC), products transactions(\+investments)?(\+liabilities)?, error none$`, lines[i])
	}

	// One item loses its login, another is disabled.
	_, _, err := testClient(url).PlaidApi.SandboxItemResetLogin(context.Background()).
		SandboxItemResetLoginRequest(*plaid.NewSandboxItemResetLoginRequest(items[0].AccessToken)).Execute()
	require.NoError(t, err)
	content := readFile(t, path)
	content = strings.Replace(content, "access_token = "+items[1].AccessToken+"\n", "access_token = "+items[1].AccessToken+"\ndisabled = true\n", 1)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))

	res = runTool(t, "-c", path, "--status")
	require.Equal(t, exitFailed, res.code)
	require.Contains(t, res.stdout, items[0].Name+": "+items[0].InstitutionName+", ? accounts, ")
	require.Contains(t, res.stdout, "error ITEM_LOGIN_REQUIRED\n  WARNING: Plaid reports ITEM_LOGIN_REQUIRED; repair: update; fix: linktool -c "+path+" --update '"+items[0].Name+"'\n")
	require.Contains(t, res.stdout, items[1].Name+": disabled (not synced, not checked)\n")
	require.Contains(t, res.stdout, items[2].Name+": "+items[2].InstitutionName)
	require.Equal(t, content, readFile(t, path), "--status changes nothing")
}

func TestStatusProblems(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	a := &app{opts: options{config: "plaid.ini"}}
	update := "linktool -c plaid.ini --update 'Bank'"
	relink := "linktool -c plaid.ini --remove 'Bank' && linktool -c plaid.ini --link 'Bank'"
	wait := "wait: the next sync tries again"
	tests := []struct {
		name   string
		health itemHealth
		want   []problem
	}{
		{"healthy", itemHealth{lastSuccess: now.Add(-2 * time.Hour), lastFailure: now.Add(-48 * time.Hour)}, nil},
		{"never updated yet", itemHealth{}, nil},
		{"disabled", itemHealth{disabled: true, errorCode: "ITEM_LOGIN_REQUIRED"}, nil},
		{"last attempt failed", itemHealth{lastSuccess: now.Add(-5 * time.Hour), lastFailure: now.Add(-1 * time.Hour)},
			[]problem{{"the last update attempt failed", itemhealth.Wait, wait}}},
		{"stale", itemHealth{lastSuccess: now.Add(-73 * time.Hour)},
			[]problem{{"the last successful update was more than 3 days ago", itemhealth.Update, update}}},
		{"login required and stale", itemHealth{errorCode: "ITEM_LOGIN_REQUIRED", lastSuccess: now.Add(-96 * time.Hour), lastFailure: now.Add(-time.Hour)},
			[]problem{{"Plaid reports ITEM_LOGIN_REQUIRED", itemhealth.Update, update},
				{"the last successful update was more than 3 days ago", itemhealth.Update, update}}},
		{"revoked", itemHealth{errorCode: "ACCESS_NOT_GRANTED", reason: "OAUTH_USER_REVOKED"},
			[]problem{{"Plaid reports ACCESS_NOT_GRANTED (OAUTH_USER_REVOKED)", itemhealth.Update, update}}},
		{"institution down", itemHealth{errorCode: "INSTITUTION_DOWN"},
			[]problem{{"Plaid reports INSTITUTION_DOWN", itemhealth.Wait, wait}}},
		{"gone", itemHealth{errorCode: "ITEM_NOT_FOUND"},
			[]problem{{"Plaid cannot use this item any more (ITEM_NOT_FOUND)", itemhealth.Link, relink}}},
		{"consent expiring", itemHealth{lastSuccess: now.Add(-time.Hour), consent: now.Add(72 * time.Hour)},
			[]problem{{"the bank's consent for Plaid expires on 2026-03-13 12:00 UTC (consent_days_left 3)", itemhealth.Update, update}}},
		{"consent far off", itemHealth{lastSuccess: now.Add(-time.Hour), consent: now.Add(30 * 24 * time.Hour)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.health.name = "Bank"
			require.Equal(t, tc.want, tc.health.problems(a, now, itemhealth.DefaultConsentWarningDays))
		})
	}
}

func TestStatusReportsBrokenSections(t *testing.T) {
	_, url := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), url)
	content := original + "\n[Half Linked]\ndisabled = no\n"
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	res := runTool(t, "-c", path, "--status")
	require.Equal(t, exitFailed, res.code)
	require.Contains(t, res.stderr, "item [Half Linked] has no access_token")
	hint := "linktool -c " + path + " --link 'Half Linked'"
	require.Contains(t, res.stderr, hint)

	// The hint leads somewhere: linking fills the section in place.
	res = runTool(t, "-c", path, "--sandbox-link", "Half Linked")
	require.Equal(t, exitOK, res.code, res.stderr)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(data), "[Half Linked]"))
	require.Contains(t, string(data), "disabled = no")
	res = runTool(t, "-c", path, "--status")
	require.NotContains(t, res.stderr, "Half Linked")
	require.Contains(t, res.stdout, "Half Linked")
}

// hostedLinkToken finds the link token behind a Hosted Link URL, as the
// hosted page itself does.
func hostedLinkToken(t *testing.T, hostedURL string) string {
	t.Helper()
	i := strings.LastIndex(hostedURL, "/")
	base := hostedURL[:strings.Index(hostedURL, "/link/hosted/")]
	resp, err := http.Get(base + "/link/emulator/session?hosted=" + hostedURL[i+1:])
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var s struct {
		LinkToken string `json:"link_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	require.NotEmpty(t, s.LinkToken)
	return s.LinkToken
}

var hostedURLRe = regexp.MustCompile(`Open the following page in your browser to continue:\n    (http://\S+/link/hosted/\S+)\n`)

func fastHostedPolling(t *testing.T) {
	old := hostedPollInterval
	hostedPollInterval = 100 * time.Millisecond
	t.Cleanup(func() { hostedPollInterval = old })
}

func TestHostedLink(t *testing.T) {
	fastHostedPolling(t)
	emu, url := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), url)

	b := startTool(t, "-c", path, "--link", "Hosted Bank", "--hosted")
	m := b.stdout.waitFor(t, hostedURLRe, 20*time.Second)
	linkToken := hostedLinkToken(t, m[1])
	_, err := emu.CompleteLink(linkToken, "ins_109508", "user_good", plaidemu.GoodPassword)
	require.NoError(t, err)

	require.Equal(t, exitOK, b.wait(t, 20*time.Second), b.stderr.String())
	res := result{stdout: b.stdout.String(), stderr: b.stderr.String()}
	require.Contains(t, res.stdout, "Hosted Bank is linked and is ready to sync.\n")
	requireSaved(t, res, path, original)
	_, ok := emuItem(t, emu, savedToken(t, path, "Hosted Bank"))
	require.True(t, ok)
}

func TestHostedLinkCancelled(t *testing.T) {
	fastHostedPolling(t)
	emu, url := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), url)

	b := startTool(t, "-c", path, "--link", "Hosted Bank", "--hosted")
	m := b.stdout.waitFor(t, hostedURLRe, 20*time.Second)
	require.NoError(t, emu.CancelLink(hostedLinkToken(t, m[1])))
	require.Equal(t, exitFailed, b.wait(t, 20*time.Second))
	require.Contains(t, b.stderr.String(), "You cancelled Plaid Link")
	require.Contains(t, b.stderr.String(), "To try again, run:\n    linktool -c "+path+" --link 'Hosted Bank' --hosted\n")
	requireUntouched(t, path, original)
}

func TestHostedUpdate(t *testing.T) {
	fastHostedPolling(t)
	emu, url := startEmulator(t, 1)
	items := emu.Items()
	path, original := writeINI(t, t.TempDir(), url, items...)

	b := startTool(t, "-c", path, "--update", items[0].Name, "--hosted")
	m := b.stdout.waitFor(t, hostedURLRe, 20*time.Second)
	require.Contains(t, b.stdout.String(), "Sandbox: forcing "+items[0].Name+" into ITEM_LOGIN_REQUIRED")
	it, _ := emuItem(t, emu, items[0].AccessToken)
	require.Equal(t, "ITEM_LOGIN_REQUIRED", it.Error)
	_, err := emu.CompleteLink(hostedLinkToken(t, m[1]), "", "user_good", plaidemu.GoodPassword)
	require.NoError(t, err)

	require.Equal(t, exitOK, b.wait(t, 20*time.Second), b.stderr.String())
	require.Regexp(t, `Public token obtained \[public-sandbox-[0-9a-f]{4}…\]\.\nThere is nothing else to do, the account should sync properly now with the existing credentials\.\n$`, b.stdout.String())
	requireUntouched(t, path, original)
	require.NoError(t, syncOnce(url, items[0].AccessToken))
}

func TestLinkWaitEnds(t *testing.T) {
	_, url := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), url)

	t.Run("timeout", func(t *testing.T) {
		res := runTool(t, "-c", path, "--link", "Slow Bank", "--listen", "127.0.0.1:0", "--timeout", "300ms")
		require.Equal(t, exitFailed, res.code)
		require.Contains(t, res.stderr, "No answer from Plaid Link within 300ms. "+path+" was not changed. To try again, run:\n    linktool -c "+path+" --link 'Slow Bank' --listen 127.0.0.1:0\n")
		requireUntouched(t, path, original)
	})
	t.Run("interrupt", func(t *testing.T) {
		b := startTool(t, "-c", path, "--link", "Slow Bank", "--listen", "127.0.0.1:0")
		b.stdout.waitFor(t, regexp.MustCompile(`Waiting for the browser`), 20*time.Second)
		b.cancel()
		require.Equal(t, exitInterrupted, b.wait(t, 10*time.Second))
		require.Contains(t, b.stderr.String(), "Interrupted. "+path+" was not changed. To try again, run:")
		requireUntouched(t, path, original)
	})
	t.Run("port in use", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		res := runTool(t, "-c", path, "--link", "Slow Bank", "--listen", ln.Addr().String())
		require.Equal(t, exitFailed, res.code)
		require.Contains(t, res.stderr, "port "+strconv.Itoa(port)+" is in use; pick another with --listen 127.0.0.1:PORT")
		requireUntouched(t, path, original)
	})
}
