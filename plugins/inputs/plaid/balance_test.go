package plaid

import (
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// balancePoints are the plaid_balance points of one item, by account_id.
func balancePoints(metrics []telegraf.Metric, item string) map[string]telegraf.Metric {
	out := map[string]telegraf.Metric{}
	for _, m := range metrics {
		if m.Name() == measurementBalance && m.Tags()["item"] == item {
			out[m.Tags()["account_id"]] = m
		}
	}
	return out
}

func itemTruth(t *testing.T, gt plaidemu.GroundTruth, name string) plaidemu.ItemTruth {
	t.Helper()
	for _, it := range gt.Items {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("no item %q in the ground truth", name)
	return plaidemu.ItemTruth{}
}

// TestCapitalOneRealtimeBalances: Capital One answers /accounts/balance/get
// for an item with a card or loan only with options.min_last_updated_datetime;
// the plugin sends it and writes every account's balances.
func TestCapitalOneRealtimeBalances(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 11, Items: 1, HistoryDays: 20, TxPerDay: 3})
	newTestClient(t, h).link(capitalOne)
	items := h.emu.Items()
	h.writeINI(items...)
	capOne := items[len(items)-1]
	require.Equal(t, capitalOne, capOne.InstitutionID)
	truth := itemTruth(t, h.emu.GroundTruth(), capOne.Name)
	nonDepository := 0
	for _, a := range truth.Accounts {
		if a.Type != "depository" {
			nonDepository++
		}
	}
	require.NotZero(t, nonDepository, "the emulator's Capital One item has a card or loan")

	p := h.plugin(func(p *Plaid) { p.Balances = balancesRealtime })
	metrics := newDelivery().gather(t, p)
	require.Equal(t, "ok", lastItemField(t, metrics, capOne.Name, "status"))
	require.Equal(t, "", lastItemField(t, metrics, capOne.Name, "balance_error"))
	got := balancePoints(metrics, capOne.Name)
	require.Len(t, got, len(truth.Accounts))
	for _, a := range truth.Accounts {
		m := got[a.AccountID]
		require.NotNil(t, m, "balance of %s (%s)", a.Name, a.Type)
		if a.Balances.Current != nil {
			v, _ := m.GetField("current")
			require.Equal(t, *a.Balances.Current, v, a.Name)
		}
		require.Equal(t, a.Currency, m.Tags()["currency"])
	}
	require.Equal(t, 1, h.emu.Stats().ByItem[capOne.Name]["/accounts/balance/get"], "one billed call, accepted at once")
	t.Logf("Capital One: %d accounts (%d non-depository) written from one /accounts/balance/get", len(got), nonDepository)
}

// TestFailingBalancePollShowsInPlaidItem: when the balance poll fails and
// nothing else is wrong, plaid_item says so in status and balance_error,
// until a later poll works.
func TestFailingBalancePollShowsInPlaidItem(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 12, Items: 2, HistoryDays: 20, TxPerDay: 3})
	items := h.emu.Items()
	broken := items[0]
	_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "/accounts/get", Item: broken.Name, ErrorCode: "INSTITUTION_NOT_RESPONDING"})
	require.NoError(t, err)
	log := &testutil.CaptureLogger{}
	p := h.plugin(func(p *Plaid) { p.Log = log })
	d := newDelivery()
	metrics := d.gather(t, p)

	require.Equal(t, "INSTITUTION_NOT_RESPONDING", lastItemField(t, metrics, broken.Name, "status"))
	require.Contains(t, lastItemField(t, metrics, broken.Name, "balance_error"), "INSTITUTION_NOT_RESPONDING")
	require.Equal(t, "wait", lastItemField(t, metrics, broken.Name, "repair"))
	require.Empty(t, balancePoints(metrics, broken.Name))
	require.Positive(t, lastItemField(t, metrics, broken.Name, "added"), "transactions synced all the same")
	require.Equal(t, "ok", lastItemField(t, metrics, items[1].Name, "status"))
	require.NotEmpty(t, balancePoints(metrics, items[1].Name))
	require.Len(t, d.acc.Errors, 1)
	require.Contains(t, d.acc.Errors[0].Error(), "["+broken.Name+"] INSTITUTION_NOT_RESPONDING")
	require.Contains(t, d.acc.Errors[0].Error(), "repair: wait")
	require.True(t, slicesContain(log.Warnings(), "["+broken.Name+"] reading balances"), "%q", log.Warnings())

	// The next poll works: the error is gone.
	h.emu.ClearFaults()
	now := time.Now()
	p.now = func() time.Time { return now.Add(7 * time.Hour) }
	metrics = d.gather(t, p)
	require.Equal(t, "ok", lastItemField(t, metrics, broken.Name, "status"))
	require.Equal(t, "", lastItemField(t, metrics, broken.Name, "balance_error"))
	require.NotEmpty(t, balancePoints(metrics, broken.Name))
}

func slicesContain(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}
