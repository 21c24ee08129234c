package plaidemu_test

import (
	"math"
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestHoldingsMoveWithTime: prices change every day, the monthly buy adds
// shares and spends cash, and /investments/holdings/get agrees with the
// ground truth and with the account's balance throughout.
func TestHoldingsMoveWithTime(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, Items: 2, HistoryDays: 60})
	info := emu.Items()[1] // item 1 has an investment account
	read := func() (plaidemu.ItemTruth, plaid.InvestmentsHoldingsGetResponse) {
		t.Helper()
		resp, _, err := client.PlaidApi.InvestmentsHoldingsGet(testContext(t)).
			InvestmentsHoldingsGetRequest(*plaid.NewInvestmentsHoldingsGetRequest(info.AccessToken)).Execute()
		require.NoError(t, err)
		want := itemByName(t, emu.GroundTruth(), info.Name)
		require.Len(t, resp.Holdings, len(want.Holdings))
		for i, h := range resp.Holdings {
			w := want.Holdings[i]
			require.Equal(t, w.AccountID, h.AccountId)
			require.Equal(t, w.SecurityID, h.SecurityId)
			require.Equal(t, w.Quantity, h.Quantity)
			require.Equal(t, w.Price, h.InstitutionPrice)
			require.Equal(t, w.Value, h.InstitutionValue)
			require.Equal(t, w.CostBasis, h.GetCostBasis())
			require.Equal(t, w.PriceAsOf, h.GetInstitutionPriceAsOf())
			require.InDelta(t, h.Quantity*h.InstitutionPrice, h.InstitutionValue, 0.005, "value is quantity x price")
		}
		return want, resp
	}
	before, _ := read()
	require.NotEmpty(t, before.Holdings)
	require.Equal(t, "2026-03-14", before.Holdings[0].PriceAsOf)
	// March 15 is the monthly buy: more shares of the first holding, less cash.
	_, err := emu.Advance(1)
	require.NoError(t, err)
	after, _ := read()
	require.Equal(t, "2026-03-15", after.Holdings[0].PriceAsOf)
	first, firstAfter := before.Holdings[0], after.Holdings[0]
	cash, cashAfter := before.Holdings[len(before.Holdings)-1], after.Holdings[len(after.Holdings)-1]
	require.Equal(t, "cash", cash.Type)
	require.Greater(t, firstAfter.Quantity, first.Quantity, "the buy added shares")
	bought := firstAfter.Quantity - first.Quantity
	spent := math.Round((cash.Quantity-cashAfter.Quantity)*100) / 100
	require.InDelta(t, bought*firstAfter.Price+4.95, spent, 0.005, "cash paid the shares at the day's price and the fee")
	require.InDelta(t, first.CostBasis+bought*firstAfter.Price, firstAfter.CostBasis, 0.005)
	changed := 0
	for i := range before.Holdings[:len(before.Holdings)-1] {
		if before.Holdings[i].Price != after.Holdings[i].Price {
			changed++
		}
	}
	require.Equal(t, len(before.Holdings)-1, changed, "every non-cash price moved")
	t.Logf("%s: bought %.0f at %.2f; cash %.2f -> %.2f", first.Ticker, bought, firstAfter.Price, cash.Quantity, cashAfter.Quantity)
	for _, a := range after.Accounts {
		if a.Type != "investment" {
			continue
		}
		var total float64
		for _, h := range after.Holdings {
			if h.AccountID == a.AccountID {
				total += h.Value
			}
		}
		require.InDelta(t, *a.Balances.Current, total, 0.005, "balance is the holdings' value")
	}
}
