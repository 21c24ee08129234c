package plaid

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/influxdata/telegraf/testutil"
	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

var skippedRe = regexp.MustCompile(`\[([^\]]+)\] transaction (\S+) skipped: (.+); it is applied when Plaid sends it again$`)

// withoutTransaction is gt less one transaction of an item, as Plaid holds
// it (read back with /transactions/get). It changes gt's accounts in place.
func withoutTransaction(t *testing.T, h *harness, gt plaidemu.GroundTruth, item plaidemu.ItemInfo, id string) plaidemu.GroundTruth {
	t.Helper()
	client := newTestClient(t, h).api
	end := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	start := time.Now().UTC().AddDate(0, 0, -800).Format(time.DateOnly)
	var found *plaid.Transaction
	for offset := int32(0); found == nil; offset += 500 {
		req := plaid.NewTransactionsGetRequest(item.AccessToken, start, end)
		opts := plaid.NewTransactionsGetRequestOptions()
		opts.SetCount(500)
		opts.SetOffset(offset)
		req.SetOptions(*opts)
		resp, httpResp, err := client.PlaidApi.TransactionsGet(context.Background()).TransactionsGetRequest(*req).Execute()
		require.NoError(t, plaidapi.FromPlaidGo(err, httpResp))
		for i := range resp.Transactions {
			if resp.Transactions[i].TransactionId == id {
				found = &resp.Transactions[i]
			}
		}
		require.True(t, found != nil || len(resp.Transactions) == 500, "transaction %s not at Plaid", id)
	}
	cents := int64(found.Amount*100 + 0.5*sign(found.Amount))
	for i := range gt.Items {
		if gt.Items[i].ItemID != item.ItemID {
			continue
		}
		for j := range gt.Items[i].Accounts {
			a := &gt.Items[i].Accounts[j]
			if a.AccountID != found.AccountId {
				continue
			}
			a.Count--
			a.SumCents -= cents
			if found.Pending {
				a.PendingCount--
			}
			cat := plaidemu.UncategorizedKey
			if pfc, ok := found.GetPersonalFinanceCategoryOk(); ok && pfc != nil {
				cat = pfc.Primary
			}
			c := a.Categories[cat]
			c.Count--
			c.SumCents -= cents
			a.Categories[cat] = c
			if c.Count == 0 && c.SumCents == 0 {
				delete(a.Categories, cat)
			}
		}
	}
	gt.Count--
	gt.SumCents -= cents
	return gt
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

// TestMalformedTransactionDoesNotBlockTheOthers: Plaid sends one transaction
// without a date; the rest of the page and every other page are applied,
// the bad one is named in a warning and counted in plaid_item's skipped,
// and what was written matches Plaid's ground truth less that transaction.
func TestMalformedTransactionDoesNotBlockTheOthers(t *testing.T) {
	for _, field := range []string{"date", "account_id", "amount"} {
		t.Run("without "+field, func(t *testing.T) { testMalformedTransaction(t, field) })
	}
}

func testMalformedTransaction(t *testing.T, field string) {
	h := newHarness(t, plaidemu.Config{Seed: 31, Items: 2, HistoryDays: 60, TxPerDay: 6})
	items := h.emu.Items()
	bad := items[0]
	_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", Item: bad.Name, MalformedField: field, Page: 1, Count: 1})
	require.NoError(t, err)
	log := &testutil.CaptureLogger{}
	p := h.plugin(func(p *Plaid) { p.Log = log })
	p.pageSize = 50 // several pages, the bad transaction on the first
	d := newDelivery()
	v := newInfluxView()
	v.add(d.gather(t, p)...)
	metrics := d.acc.GetTelegrafMetrics()

	var skippedID string
	for _, w := range log.Warnings() {
		if m := skippedRe.FindStringSubmatch(w); m != nil {
			require.Equal(t, bad.Name, m[1])
			require.Empty(t, skippedID, "one transaction skipped")
			skippedID = m[2]
			t.Logf("warning: %s", w)
		}
	}
	require.NotEmpty(t, skippedID, "a warning names the skipped transaction; warnings: %q", log.Warnings())
	require.Equal(t, "ok", lastItemField(t, metrics, bad.Name, "status"))
	require.Equal(t, int64(1), lastItemField(t, metrics, bad.Name, "skipped"))
	require.Equal(t, int64(0), lastItemField(t, metrics, items[1].Name, "skipped"))
	for _, pt := range v.Points(measurementTransaction) {
		require.NotEqual(t, skippedID, pt.Fields["transaction_id"], "the malformed transaction was not written")
	}
	gt := h.emu.GroundTruth()
	added := lastItemField(t, metrics, bad.Name, "added").(int64)
	require.Error(t, v.Check(gt, bad.Name), "the full truth differs by the skipped transaction")
	want := withoutTransaction(t, h, h.emu.GroundTruth(), bad, skippedID)
	requireMatchesTruth(t, v, want)
	t.Logf("%s: %d transactions applied, 1 skipped (%s); %d transactions at Plaid", bad.Name, added, skippedID, itemCount(gt, bad.ItemID))
}

func itemCount(gt plaidemu.GroundTruth, itemID string) int {
	n := 0
	for _, it := range gt.Items {
		if it.ItemID == itemID {
			for _, a := range it.Accounts {
				n += a.Count
			}
		}
	}
	return n
}
