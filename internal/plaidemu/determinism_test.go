package plaidemu_test

import (
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestDeterminism: two emulators with the same seed given the same calls
// hold the same data (ids, tokens, amounts); another seed differs.
func TestDeterminism(t *testing.T) {
	type run struct {
		items  []plaidemu.ItemInfo
		truth  plaidemu.GroundTruth
		txns   [][]plaid.Transaction
		linked string
	}
	do := func(seed int64) run {
		emu, client := startEmulator(t, plaidemu.Config{Seed: seed, Items: 3, HistoryDays: 90})
		var r run
		linked := sandboxItem(t, client, "ins_109510")
		r.linked = linked
		_, err := emu.Advance(4)
		require.NoError(t, err)
		r.items = emu.Items()
		r.truth = emu.GroundTruth()
		for _, it := range r.items {
			var page []plaid.Transaction
			l := newLedger()
			for _, p := range syncItem(t, client, it.AccessToken, 500, l, nil).added {
				page = append(page, p.txn)
			}
			r.txns = append(r.txns, page)
		}
		return r
	}
	a, b, c := do(77), do(77), do(78)
	require.Equal(t, a.items, b.items)
	require.Equal(t, a.linked, b.linked)
	require.Equal(t, a.truth, b.truth)
	require.Equal(t, a.txns, b.txns)

	require.NotEqual(t, a.items[0].ItemID, c.items[0].ItemID)
	require.NotEqual(t, a.items[0].AccessToken, c.items[0].AccessToken)
	require.NotEqual(t, a.truth.SumCents, c.truth.SumCents)
}
