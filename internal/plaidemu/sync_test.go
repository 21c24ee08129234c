package plaidemu_test

import (
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func TestSyncSmallMatchesGroundTruth(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 7, HistoryDays: 90})
	gt := emu.GroundTruth()
	require.Len(t, gt.Items, 3)
	total := 0
	for _, info := range emu.Items() {
		l := newLedger()
		rep := syncItem(t, client, info.AccessToken, 250, l, nil)
		require.Equal(t, "HISTORICAL_UPDATE_COMPLETE", rep.updateStatus)
		requireLedgerMatchesTruth(t, l, itemByName(t, gt, info.Name))
		total += len(l.txns)
	}
	require.Equal(t, gt.Count, total)
}

func TestSyncOneAccount(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 7, Items: 1, HistoryDays: 60})
	info := emu.Items()[0]
	want := emu.GroundTruth().Items[0].Accounts[2]
	ctx := testContext(t)
	cursor := ""
	got := 0
	for {
		req := plaid.NewTransactionsSyncRequest(info.AccessToken)
		req.SetCount(100)
		o := plaid.NewTransactionsSyncRequestOptions()
		o.SetAccountId(want.AccountID)
		req.SetOptions(*o)
		if cursor != "" {
			req.SetCursor(cursor)
		}
		resp, _, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
		require.NoError(t, err)
		require.Len(t, resp.GetAccounts(), 1)
		require.Equal(t, want.AccountID, resp.GetAccounts()[0].AccountId)
		for _, tx := range resp.GetAdded() {
			require.Equal(t, want.AccountID, tx.AccountId)
			got++
		}
		cursor = resp.GetNextCursor()
		if !resp.GetHasMore() {
			break
		}
	}
	require.Equal(t, want.Count, got)

	// The cursor belongs to that account's chain.
	req := plaid.NewTransactionsSyncRequest(info.AccessToken)
	req.SetCursor(cursor)
	_, resp, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
	requirePlaidError(t, err, resp, 400, "INVALID_REQUEST", "INVALID_FIELD")
}
