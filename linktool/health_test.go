package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

// gatherPlugin runs one gather of the plugin on the INI file and returns
// what it wrote, the gather errors and its log.
func gatherPlugin(t *testing.T, ini string, configure ...func(*plaid.Plaid)) ([]telegraf.Metric, []error, *testutil.CaptureLogger) {
	t.Helper()
	log := &testutil.CaptureLogger{}
	p := plaid.New()
	p.AccountsFile, p.StateDir, p.Timezone, p.Log = ini, filepath.Join(filepath.Dir(ini), "state"), "UTC", log
	for _, c := range configure {
		c(p)
	}
	require.NoError(t, p.Init())
	defer p.Stop()
	acc := &testutil.Accumulator{}
	require.NoError(t, p.Gather(acc))
	return acc.GetTelegrafMetrics(), acc.Errors, log
}

// itemPoint is the plaid_item point of one item.
func itemPoint(t *testing.T, metrics []telegraf.Metric, item string) map[string]any {
	t.Helper()
	for _, m := range metrics {
		if m.Name() == "plaid_item" && m.Tags()["item"] == item {
			return m.Fields()
		}
	}
	t.Fatalf("no plaid_item point for %q", item)
	return nil
}

// TestUpdateModeCodesReadTheSameInPluginAndStatus: for every item error
// that Link update mode repairs, the plugin's plaid_item and gather error
// and linktool --status give the same repair and the same command, and the
// other items carry on.
func TestUpdateModeCodesReadTheSameInPluginAndStatus(t *testing.T) {
	codes := []struct{ code, reason string }{
		{"ITEM_LOGIN_REQUIRED", ""},
		{"ITEM_LOGIN_REQUIRED", "OAUTH_CONSENT_EXPIRED"},
		{"ACCESS_NOT_GRANTED", "OAUTH_USER_REVOKED"},
		{"PASSWORD_RESET_REQUIRED", ""},
		{"ITEM_LOCKED", ""},
		{"USER_SETUP_REQUIRED", ""},
		{"INSUFFICIENT_CREDENTIALS", ""},
		{"INVALID_CREDENTIALS", ""},
		{"INVALID_MFA", ""},
		{"INVALID_SEND_METHOD", ""},
		{"INVALID_UPDATED_USERNAME", ""},
		{"USER_INPUT_TIMEOUT", ""},
		{"MFA_NOT_SUPPORTED", ""},
		{"NO_ACCOUNTS", ""},
	}
	for _, tc := range codes {
		name := tc.code
		if tc.reason != "" {
			name += "/" + tc.reason
		}
		t.Run(name, func(t *testing.T) {
			emu, url := startEmulator(t, 2)
			items := emu.Items()
			broken, fine := items[0], items[1] // items[0] is at an OAuth bank
			ini, _ := writeINI(t, t.TempDir(), url, items...)
			_, err := emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", Item: broken.Name, ErrorCode: tc.code, Reason: tc.reason, Count: 1})
			require.NoError(t, err)

			metrics, errs, _ := gatherPlugin(t, ini)
			command := "linktool -c " + ini + " --update '" + broken.Name + "'"
			f := itemPoint(t, metrics, broken.Name)
			require.Equal(t, tc.code, f["status"])
			require.Equal(t, true, f["login_required"])
			require.Equal(t, "update", f["repair"])
			require.Equal(t, command, f["update_command"])
			if tc.reason != "" {
				require.Contains(t, f["error_message"], tc.code+" ("+tc.reason+")")
			}
			require.Equal(t, "ok", itemPoint(t, metrics, fine.Name)["status"])
			require.Len(t, errs, 1)
			require.Contains(t, errs[0].Error(), "["+broken.Name+"] "+tc.code)
			require.Contains(t, errs[0].Error(), "; repair: update (repair the login in Link update mode); run: "+command)

			res := runTool(t, "-c", ini, "--status")
			require.Equal(t, exitFailed, res.code, res.stdout+res.stderr)
			shown := tc.code
			if tc.reason != "" {
				shown += " (" + tc.reason + ")"
			}
			require.Contains(t, res.stdout, "error "+shown+"\n  WARNING: Plaid reports "+shown+"; repair: update; fix: "+command+"\n")
			require.NotContains(t, res.stdout, fine.Name+": unknown")
			t.Logf("%s: plaid_item repair=%s update_command=%q; --status: %s", name, f["repair"], f["update_command"],
				strings.TrimSpace(res.stdout[strings.Index(res.stdout, "WARNING"):]))
		})
	}
}

// TestItemGoneReadsTheSameInPluginAndStatus: an item Plaid no longer knows
// needs a new link, and both say so with the same command.
func TestItemGoneReadsTheSameInPluginAndStatus(t *testing.T) {
	emu, url := startEmulator(t, 2)
	items := emu.Items()
	ini, _ := writeINI(t, t.TempDir(), url, items...)
	gone := items[1]
	_, err := emu.AddFault(plaidemu.Fault{Endpoint: "*", Item: gone.Name, ErrorCode: "ITEM_NOT_FOUND"})
	require.NoError(t, err)

	metrics, errs, _ := gatherPlugin(t, ini)
	command := "linktool -c " + ini + " --remove '" + gone.Name + "' && linktool -c " + ini + " --link '" + gone.Name + "'"
	f := itemPoint(t, metrics, gone.Name)
	require.Equal(t, "ITEM_NOT_FOUND", f["status"])
	require.Equal(t, false, f["login_required"])
	require.Equal(t, "link", f["repair"])
	require.Equal(t, command, f["update_command"])
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "repair: link (remove the item and link the bank again); run: "+command)

	res := runTool(t, "-c", ini, "--status")
	require.Equal(t, exitFailed, res.code)
	require.Contains(t, res.stdout, "  WARNING: Plaid cannot use this item any more (ITEM_NOT_FOUND); repair: link; fix: "+command+"\n")
}

// TestConsentExpiringSoonWarns: a consent 3 days from expiry gives a
// warning, consent_days_left and the update command, in the plugin and in
// --status, while the item still syncs.
func TestConsentExpiringSoonWarns(t *testing.T) {
	emu, url := startEmulator(t, 2)
	items := emu.Items()
	ini, _ := writeINI(t, t.TempDir(), url, items...)
	expiring := items[0]
	expires := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	require.NoError(t, emu.SetConsentExpiration(expiring.Name, expires))
	command := "linktool -c " + ini + " --update '" + expiring.Name + "'"

	metrics, errs, log := gatherPlugin(t, ini)
	require.Empty(t, errs, "the item still works")
	f := itemPoint(t, metrics, expiring.Name)
	require.Equal(t, "ok", f["status"])
	require.Equal(t, int64(3), f["consent_days_left"])
	require.Equal(t, expires.Unix(), f["consent_expiration"])
	require.Equal(t, "update", f["repair"])
	require.Equal(t, command, f["update_command"])
	require.Equal(t, false, f["login_required"], "the login still works")
	require.NotContains(t, itemPoint(t, metrics, items[1].Name), "consent_days_left")
	warned := false
	for _, w := range log.Warnings() {
		if strings.Contains(w, "["+expiring.Name+"] the bank's consent for Plaid expires") &&
			strings.Contains(w, "consent_days_left 3") && strings.Contains(w, "run: "+command) {
			warned = true
		}
	}
	require.True(t, warned, "warnings: %q", log.Warnings())

	res := runTool(t, "-c", ini, "--status")
	require.Equal(t, exitFailed, res.code)
	require.Contains(t, res.stdout, "  WARNING: the bank's consent for Plaid expires on "+when(expires)+" (consent_days_left 3); repair: update; fix: "+command+"\n")

	// A shorter warning period stays quiet, in both.
	metrics, _, log = gatherPlugin(t, ini, func(p *plaid.Plaid) { p.ConsentWarningDays = 2 })
	require.Equal(t, "none", itemPoint(t, metrics, expiring.Name)["repair"])
	require.Equal(t, int64(3), itemPoint(t, metrics, expiring.Name)["consent_days_left"])
	require.Empty(t, log.Warnings())
	res = runTool(t, "-c", ini, "--status", "--consent-warning-days", "2")
	require.Equal(t, exitOK, res.code, res.stdout)
}
