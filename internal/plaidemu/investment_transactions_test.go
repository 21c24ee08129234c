package plaidemu_test

import (
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func listInvestmentTxns(t *testing.T, client *plaid.APIClient, token, start, end string, count int32) []plaid.InvestmentTransaction {
	t.Helper()
	var out []plaid.InvestmentTransaction
	for offset := int32(0); ; {
		req := plaid.NewInvestmentsTransactionsGetRequest(token, start, end)
		opts := plaid.NewInvestmentsTransactionsGetRequestOptions()
		opts.SetCount(count)
		opts.SetOffset(offset)
		req.SetOptions(*opts)
		resp, _, err := client.PlaidApi.InvestmentsTransactionsGet(testContext(t)).InvestmentsTransactionsGetRequest(*req).Execute()
		require.NoError(t, err)
		out = append(out, resp.InvestmentTransactions...)
		offset += int32(len(resp.InvestmentTransactions))
		if len(resp.InvestmentTransactions) == 0 || int(offset) >= int(resp.TotalInvestmentTransactions) {
			return out
		}
	}
}

func TestInvestmentTransactions(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, Items: 2, HistoryDays: 90})
	info := emu.Items()[1]
	truth := itemByName(t, emu.GroundTruth(), info.Name).InvestmentTransactions
	types := map[string]int{}
	for _, tr := range truth {
		types[tr.Type+"/"+tr.Subtype]++
	}
	t.Logf("%d investment transactions in 90 days: %v", len(truth), types)
	for _, k := range []string{"buy/buy", "sell/sell", "cash/dividend", "fee/account fee"} {
		require.Positive(t, types[k], k)
	}
	got := listInvestmentTxns(t, client, info.AccessToken, "2025-01-01", "2026-03-14", 2) // small pages
	require.Len(t, got, len(truth))
	byID := map[string]plaid.InvestmentTransaction{}
	for _, g := range got {
		byID[g.InvestmentTransactionId] = g
	}
	for _, tr := range truth {
		g, ok := byID[tr.ID]
		require.True(t, ok, tr.ID)
		require.Equal(t, tr.Amount, g.Amount)
		require.Equal(t, tr.Quantity, g.Quantity)
		require.Equal(t, tr.Date, g.Date)
		require.Equal(t, tr.Type, string(g.Type))
		require.Equal(t, tr.Subtype, string(g.Subtype))
	}

	// A dividend restated and a buy withdrawn: the listing and the cash follow.
	var dividend, buy plaidemu.InvestmentTxnTruth
	for _, tr := range truth {
		switch tr.Subtype {
		case "dividend":
			dividend = tr
		case "buy":
			buy = tr
		}
	}
	cashBefore := cashOf(itemByName(t, emu.GroundTruth(), info.Name))
	require.NoError(t, emu.CorrectInvestmentTransaction(info.Name, dividend.ID, dividend.Amount-1))
	require.NoError(t, emu.RemoveInvestmentTransaction(info.Name, buy.ID))
	require.Error(t, emu.RemoveInvestmentTransaction(info.Name, buy.ID), "already removed")
	after := itemByName(t, emu.GroundTruth(), info.Name)
	require.InDelta(t, cashBefore+1+buy.Amount+*buy.Fees, cashOf(after), 0.005)
	got = listInvestmentTxns(t, client, info.AccessToken, "2025-01-01", "2026-03-14", 500)
	require.Len(t, got, len(truth)-1)
	for _, g := range got {
		require.NotEqual(t, buy.ID, g.InvestmentTransactionId)
		if g.InvestmentTransactionId == dividend.ID {
			require.Equal(t, dividend.Amount-1, g.Amount)
		}
	}

	// An item without investment accounts.
	_, resp, err := client.PlaidApi.InvestmentsTransactionsGet(testContext(t)).InvestmentsTransactionsGetRequest(
		*plaid.NewInvestmentsTransactionsGetRequest(emu.Items()[0].AccessToken, "2026-01-01", "2026-03-14")).Execute()
	requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "NO_INVESTMENT_ACCOUNTS")
}

func cashOf(it plaidemu.ItemTruth) float64 {
	var sum float64
	for _, h := range it.Holdings {
		if h.Type == "cash" {
			sum += h.Value
		}
	}
	return sum
}
