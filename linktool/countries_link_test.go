package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/lptruth"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

// thames is one of the emulator's banks in Britain (accounts in GBP).
const thames = "ins_900102"

// TestBankAbroadLinksAndSyncsInItsCurrency: with country_codes = GB in
// [PLAID], Link offers a British bank; the plugin finds the institution and
// writes its transactions and balances in pounds, matching what Plaid
// holds; --status names the bank.
func TestBankAbroadLinksAndSyncsInItsCurrency(t *testing.T) {
	fastHostedPolling(t)
	emu, url := startEmulator(t, -1)
	path, _ := writeINI(t, t.TempDir(), url)

	// Without the country, Link does not offer the bank.
	b := startTool(t, "-c", path, "--link", "UK Bank", "--hosted")
	m := b.stdout.waitFor(t, hostedURLRe, 20*time.Second)
	_, err := emu.CompleteLink(hostedLinkToken(t, m[1]), thames, "user_good", plaidemu.GoodPassword)
	require.ErrorIs(t, err, plaidemu.ErrUnknownInstitution)
	b.cancel()
	b.wait(t, 20*time.Second)

	content := strings.Replace(readFile(t, path), "environment = sandbox\n", "environment = sandbox\ncountry_codes = GB, IE\nlanguage = en\n", 1)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	b = startTool(t, "-c", path, "--link", "UK Bank", "--hosted")
	m = b.stdout.waitFor(t, hostedURLRe, 20*time.Second)
	_, err = emu.CompleteLink(hostedLinkToken(t, m[1]), thames, "user_good", plaidemu.GoodPassword)
	require.NoError(t, err)
	require.Equal(t, exitOK, b.wait(t, 20*time.Second), b.stderr.String())
	it, ok := emuItem(t, emu, savedToken(t, path, "UK Bank"))
	require.True(t, ok)
	require.Equal(t, thames, it.InstitutionID)

	// One plugin process, gathering until Plaid has the item's whole history.
	p := plaid.New()
	p.AccountsFile, p.StateDir, p.Timezone, p.Log = path, filepath.Join(filepath.Dir(path), "state"), "UTC", testutil.Logger{Quiet: true}
	require.NoError(t, p.Init())
	defer p.Stop()
	acc := &testutil.Accumulator{}
	var f map[string]any
	accepted := 0
	for range 5 {
		require.NoError(t, p.Gather(acc))
		all := acc.GetTelegrafMetrics()
		for _, m := range all[accepted:] {
			m.Accept() // delivered, as the shim reports
		}
		accepted = len(all)
		f = itemPoint(t, all[len(all)-1:], "UK Bank")
		if f["update_status"] == "HISTORICAL_UPDATE_COMPLETE" {
			break
		}
	}
	require.Empty(t, acc.Errors)
	require.Equal(t, "ok", f["status"])
	require.Equal(t, "HISTORICAL_UPDATE_COMPLETE", f["update_status"])
	metrics := acc.GetTelegrafMetrics()
	currencies := map[string]int{}
	v := lptruth.NewView()
	for _, m := range metrics {
		v.Add(m.Name(), m.Tags(), m.Fields(), m.Time())
		if m.Name() == "plaid_item" {
			require.Equal(t, it.InstitutionName, m.Tags()["institution"], "the plugin found the institution abroad")
			continue
		}
		currencies[m.Name()+" "+m.Tags()["currency"]]++
	}
	require.NotZero(t, currencies["plaid_transaction GBP"], "%v", currencies)
	require.NotZero(t, currencies["plaid_balance GBP"], "%v", currencies)
	t.Logf("UK Bank points by measurement and currency: %v", currencies)
	// Ground truth: the points hold everything Plaid holds for the item.
	// The emulator names the item itself; the INI section is "UK Bank".
	gt := emu.GroundTruth()
	for i := range gt.Items {
		if gt.Items[i].ItemID == it.ItemID {
			gt.Items[i].Name = "UK Bank"
		}
	}
	require.NoError(t, v.Check(gt, "UK Bank"))

	res := runTool(t, "-c", path, "--status")
	require.Contains(t, res.stdout, "UK Bank: "+it.InstitutionName+", ")
}
