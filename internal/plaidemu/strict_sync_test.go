package plaidemu_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestResetCursors: after Plaid resets an item, every cursor issued before
// is refused with INVALID_FIELD naming the cursor, and an empty cursor
// brings the whole history again.
func TestResetCursors(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, Items: 2, HistoryDays: 30})
	info := emu.Items()[0]
	other := emu.Items()[1]
	l := newLedger()
	syncItem(t, client, info.AccessToken, 500, l, nil)
	settled := l.cursor
	require.NotEmpty(t, settled)
	// An intermediate cursor, handed out in the middle of a page loop.
	ctx := testContext(t)
	req := plaid.NewTransactionsSyncRequest(info.AccessToken)
	req.SetCount(5)
	first, _, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
	require.NoError(t, err)
	require.True(t, first.GetHasMore())
	intermediate := first.GetNextCursor()
	otherLedger := newLedger()
	syncItem(t, client, other.AccessToken, 500, otherLedger, nil)

	_, err = emu.ResetCursors(info.Name)
	require.NoError(t, err)

	for name, cur := range map[string]string{"settled": settled, "intermediate": intermediate} {
		req := plaid.NewTransactionsSyncRequest(info.AccessToken)
		req.SetCursor(cur)
		_, httpResp, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
		pe := requirePlaidError(t, err, httpResp, 400, "INVALID_REQUEST", "INVALID_FIELD")
		require.Contains(t, pe.ErrorMessage, "cursor not valid", name)
		require.Contains(t, pe.ErrorMessage, cur[:16], "%s: the message names the cursor", name)
		t.Logf("%s cursor after reset: %s", name, pe.ErrorMessage)
	}

	// The other item's cursor is untouched.
	rep := syncItem(t, client, other.AccessToken, 500, otherLedger, nil)
	require.Empty(t, rep.added)

	// An empty cursor starts over and yields the same history.
	fresh := newLedger()
	syncItem(t, client, info.AccessToken, 500, fresh, nil)
	require.Equal(t, len(l.txns), len(fresh.txns))
	requireLedgerMatchesTruth(t, fresh, itemByName(t, emu.GroundTruth(), info.Name))
	require.NotEqual(t, settled, fresh.cursor)

	// The new cursor works; the control endpoint does the same as the method.
	rep = syncItem(t, client, info.AccessToken, 500, fresh, nil)
	require.Empty(t, rep.added)
	body, _ := json.Marshal(map[string]string{"item": info.ItemID})
	resp, err := http.Post(emu.URL()+"/emulator/reset_cursors", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	var out map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, info.ItemID, out["item_id"])
	req = plaid.NewTransactionsSyncRequest(info.AccessToken)
	req.SetCursor(fresh.cursor)
	_, httpResp, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
	requirePlaidError(t, err, httpResp, 400, "INVALID_REQUEST", "INVALID_FIELD")

	resp, err = http.Post(emu.URL()+"/emulator/reset_cursors", "application/json", bytes.NewReader([]byte(`{"item":"No Such Bank"}`)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
