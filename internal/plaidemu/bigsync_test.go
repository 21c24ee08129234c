package plaidemu_test

import (
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestLargeHistory syncs 10 items x 730 days x 8 transactions a day page by
// page and checks every account against the ground truth, then lets time
// pass and checks that incremental syncs (pending->posted pairs split over
// pages, corrections, removals, a mutation in the middle of a page loop)
// still add up exactly. The steps share one emulator and run in order.
func TestLargeHistory(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 42, Items: 10, HistoryDays: 730, TxPerDay: 8})
	items := emu.Items()
	require.Len(t, items, 10)
	ledgers := map[string]*ledger{}

	t.Run("full sync equals ground truth", func(t *testing.T) {
		gt := emu.GroundTruth()
		require.GreaterOrEqual(t, gt.Count, 50000)
		for _, it := range items {
			ledgers[it.Name] = newLedger()
		}
		// Items sync in parallel, as the plugin does; decoding with
		// plaid-go's models is what takes the time here.
		t.Run("items", func(t *testing.T) {
			for _, it := range items {
				l := ledgers[it.Name]
				t.Run(it.Name, func(t *testing.T) {
					t.Parallel()
					rep := syncItem(t, client, it.AccessToken, 500, l, nil)
					require.Zero(t, rep.restarts)
					require.Empty(t, rep.modified, "a first sync only adds")
					require.Empty(t, rep.removed, "a first sync only adds")
					requireLedgerMatchesTruth(t, l, itemByName(t, gt, it.Name))
				})
			}
		})
		synced := 0
		var sum int64
		for _, l := range ledgers {
			synced += len(l.txns)
			for _, tx := range l.txns {
				sum += toCents(tx.Amount)
			}
		}
		require.Equal(t, gt.Count, synced)
		require.Equal(t, gt.SumCents, sum)
	})

	t.Run("sync after advance", func(t *testing.T) {
		requireFullSync(t, ledgers)
		before := emu.GroundTruth()
		sum, err := emu.Advance(5)
		require.NoError(t, err)
		after := emu.GroundTruth()
		require.Equal(t, after.Today, sum.Today)
		require.Positive(t, sum.Added)
		require.Positive(t, sum.Posted)
		require.Positive(t, sum.Modified)
		require.Positive(t, sum.Removed)
		// Posting replaces one transaction by another; the rest add or take away.
		require.Equal(t, before.Count+sum.Added-sum.Dropped-sum.Removed, after.Count)

		splitPairs, categoryChanges, plainRemovals, postedPairs := 0, 0, 0, 0
		for _, it := range items {
			l := ledgers[it.Name]
			rep := syncItem(t, client, it.AccessToken, 5, l, nil)
			requireLedgerMatchesTruth(t, l, itemByName(t, after, it.Name))

			removedOn := map[string]int{}
			for _, r := range rep.removed {
				removedOn[r.id] = r.page
			}
			postedFrom := map[string]bool{}
			for _, a := range rep.added {
				pid, ok := a.txn.GetPendingTransactionIdOk()
				if !ok || pid == nil {
					continue
				}
				if _, known := rep.before[*pid]; !known {
					continue // its pending version was never seen by this client
				}
				postedPairs++
				page, inRemoved := removedOn[*pid]
				require.True(t, inRemoved, "posted %s replaces pending %s, which was not removed", a.txn.TransactionId, *pid)
				postedFrom[*pid] = true
				if page != a.page {
					splitPairs++
				}
			}
			for _, m := range rep.modified {
				old := rep.before[m.txn.TransactionId]
				if primary(old) != primary(m.txn) {
					categoryChanges++
				}
			}
			for _, r := range rep.removed {
				if old := rep.before[r.id]; !old.Pending && !postedFrom[r.id] {
					plainRemovals++
				}
			}
		}
		require.Positive(t, postedPairs, "pending transactions posted")
		require.Positive(t, splitPairs, "a page boundary split a pending->posted pair")
		require.Positive(t, categoryChanges, "a correction moved a transaction to another category")
		require.Positive(t, plainRemovals, "a posted transaction was removed")
	})

	t.Run("mutation during pagination restarts the loop", func(t *testing.T) {
		requireFullSync(t, ledgers)
		_, err := emu.Advance(1)
		require.NoError(t, err)
		it := items[0]
		advanced := false
		rep := syncItem(t, client, it.AccessToken, 3, ledgers[it.Name], func(page int) {
			if page == 2 && !advanced {
				advanced = true
				_, err := emu.Advance(1)
				require.NoError(t, err)
			}
		})
		require.True(t, advanced, "the first loop had a second page")
		require.Equal(t, 1, rep.restarts)
		requireLedgerMatchesTruth(t, ledgers[it.Name], itemByName(t, emu.GroundTruth(), it.Name))
	})

	t.Run("an up-to-date cursor returns nothing new", func(t *testing.T) {
		it := items[1]
		l := ledgers[it.Name]
		syncItem(t, client, it.AccessToken, 100, l, nil)
		cursor := l.cursor
		rep := syncItem(t, client, it.AccessToken, 100, l, nil)
		require.Equal(t, 1, rep.pages)
		require.Empty(t, rep.added)
		require.Empty(t, rep.modified)
		require.Empty(t, rep.removed)
		require.Equal(t, cursor, l.cursor)
	})
}

// primary is a transaction's category as the ground truth keys it.
func primary(tx plaid.Transaction) string {
	if pfc, ok := tx.GetPersonalFinanceCategoryOk(); ok && pfc != nil {
		return pfc.Primary
	}
	return plaidemu.UncategorizedKey
}

func requireFullSync(t *testing.T, ledgers map[string]*ledger) {
	t.Helper()
	require.NotEmpty(t, ledgers, "the full sync did not run")
	for name, l := range ledgers {
		if l.cursor == "" {
			t.Fatalf("the full sync of %s did not complete", name)
		}
	}
}
