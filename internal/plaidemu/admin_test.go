package plaidemu_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestAdminEndpoints drives the /emulator/ control surface over HTTP as the
// README's curl examples do.
func TestAdminEndpoints(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 17, Items: 2, HistoryDays: 20})
	base := emu.URL()
	call := func(method, path, body string) (int, []byte) {
		status, out, header := rawCall(t, base, method, path, body, false)
		require.Equal(t, "application/json", mediaType(header.Get("Content-Type")), "%s %s", method, path)
		return status, out
	}
	decode := func(b []byte, v any) {
		t.Helper()
		require.NoError(t, json.Unmarshal(b, v), string(b))
	}

	status, body := call(http.MethodGet, "/emulator/items", "")
	require.Equal(t, http.StatusOK, status)
	var items []plaidemu.ItemInfo
	decode(body, &items)
	require.Equal(t, emu.Items(), items)

	status, body = call(http.MethodPost, "/emulator/advance", `{"days":3}`)
	require.Equal(t, http.StatusOK, status)
	var sum plaidemu.AdvanceSummary
	decode(body, &sum)
	require.Equal(t, "2026-03-17", sum.Today)

	status, body = call(http.MethodGet, "/emulator/ground_truth", "")
	require.Equal(t, http.StatusOK, status)
	var gt plaidemu.GroundTruth
	decode(body, &gt)
	require.Equal(t, emu.GroundTruth(), gt)

	status, body = call(http.MethodPost, "/emulator/faults", `{"endpoint":"/item/get","error_code":"INSTITUTION_DOWN","count":1}`)
	require.Equal(t, http.StatusOK, status, string(body))
	var added struct{ ID string }
	decode(body, &added)
	require.NotEmpty(t, added.ID)
	status, body = call(http.MethodGet, "/emulator/faults", "")
	require.Equal(t, http.StatusOK, status)
	var faults []plaidemu.FaultStatus
	decode(body, &faults)
	require.Len(t, faults, 1)
	require.Equal(t, added.ID, faults[0].ID)
	_, resp, err := client.PlaidApi.ItemGet(testContext(t)).ItemGetRequest(*plaid.NewItemGetRequest(items[0].AccessToken)).Execute()
	requirePlaidError(t, err, resp, 400, "INSTITUTION_ERROR", "INSTITUTION_DOWN")
	call(http.MethodPost, "/emulator/faults", `{"endpoint":"*","latency_ms":5}`)
	status, _ = call(http.MethodDelete, "/emulator/faults", "")
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, emu.Faults())

	status, body = call(http.MethodGet, "/emulator/stats", "")
	require.Equal(t, http.StatusOK, status)
	var st plaidemu.Stats
	decode(body, &st)
	require.Equal(t, 1, st.Calls["/item/get"])
	call(http.MethodDelete, "/emulator/stats", "")
	require.Empty(t, emu.Stats().Calls)

	status, _ = call(http.MethodPost, "/emulator/rate_limits", `{"enabled":true}`)
	require.Equal(t, http.StatusOK, status)
	_, body = call(http.MethodGet, "/emulator/rate_limits", "")
	require.JSONEq(t, `{"enabled":true}`, string(body))
	call(http.MethodPost, "/emulator/rate_limits", `{"enabled":false}`)

	lt := newLinkToken(t, client, "", false, 0)
	status, body = call(http.MethodPost, "/emulator/link/complete",
		`{"link_token":"`+lt.GetLinkToken()+`","institution_id":"ins_5","username":"user_good","password":"nope"}`)
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, string(body), "credentials")
	status, body = call(http.MethodPost, "/emulator/link/complete",
		`{"link_token":"`+lt.GetLinkToken()+`","institution_id":"ins_5","username":"user_good","password":"pass_good"}`)
	require.Equal(t, http.StatusOK, status, string(body))
	var done struct {
		PublicToken string `json:"public_token"`
	}
	decode(body, &done)
	ex := exchange(t, client, done.PublicToken)
	require.Equal(t, ex.GetItemId(), emu.Items()[2].ItemID)
	status, _ = call(http.MethodPost, "/emulator/link/cancel", `{"link_token":"`+lt.GetLinkToken()+`"}`)
	require.Equal(t, http.StatusOK, status)
	got := linkTokenGet(t, client, lt.GetLinkToken())
	require.Len(t, got.GetLinkSessions(), 2)

	errorCases := []struct {
		method, path, body string
		status             int
	}{
		{http.MethodPost, "/emulator/advance", `{"days":0}`, 400},
		{http.MethodPost, "/emulator/advance", `{}`, 400},
		{http.MethodPost, "/emulator/advance", `{"days":1,"dayz":2}`, 400},
		{http.MethodPost, "/emulator/advance", `not json`, 400},
		{http.MethodGet, "/emulator/advance", ``, 405},
		{http.MethodPost, "/emulator/faults", `{"endpoint":"*","drop":true}`, 400},
		{http.MethodPost, "/emulator/faults", `{"endpoint":"/nope","error_code":"INTERNAL_SERVER_ERROR"}`, 400},
		{http.MethodPost, "/emulator/rate_limits", `{}`, 400},
		{http.MethodPost, "/emulator/link/complete", `{"link_token":"link-sandbox-nope","institution_id":"ins_5","username":"u","password":"pass_good"}`, 404},
		{http.MethodPost, "/emulator/link/cancel", `{"link_token":"link-sandbox-nope"}`, 404},
		{http.MethodGet, "/emulator/teleport", ``, 404},
	}
	for _, tc := range errorCases {
		status, body := call(tc.method, tc.path, tc.body)
		require.Equal(t, tc.status, status, "%s %s %s: %s", tc.method, tc.path, tc.body, body)
		var e struct{ Error string }
		decode(body, &e)
		require.NotEmpty(t, e.Error)
	}
}

// TestConcurrentUse syncs every item from several goroutines while time
// advances and faults come and go; afterwards every ledger matches the
// ground truth. Run with -race to check the locking.
func TestConcurrentUse(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 19, Items: 4, HistoryDays: 60})
	items := emu.Items()
	ledgers := make([]*ledger, len(items))
	for i := range ledgers {
		ledgers[i] = newLedger()
	}
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				if err := syncUntilDone(ctx, client, it.AccessToken, ledgers[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 4 {
			if _, err := emu.Advance(1); err != nil {
				errs <- err
				return
			}
			emu.GroundTruth()
			emu.Stats()
			if _, err := emu.AddFault(plaidemu.Fault{Endpoint: "/item/get", LatencyMS: 1, Count: 1}); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	gt := emu.GroundTruth()
	for i, it := range items {
		syncItem(t, client, it.AccessToken, 500, ledgers[i], nil)
		requireLedgerMatchesTruth(t, ledgers[i], itemByName(t, gt, it.Name))
	}
}

// syncUntilDone is a goroutine-safe sync loop (no testing.T) that restarts
// on TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION.
func syncUntilDone(ctx context.Context, client *plaid.APIClient, token string, l *ledger) error {
	for attempt := 0; attempt < 20; attempt++ {
		cursor := l.cursor
		var added, modified []plaid.Transaction
		var removed []string
		var accounts []plaid.AccountBase
		restart := false
		for {
			req := plaid.NewTransactionsSyncRequest(token)
			req.SetCount(50)
			if cursor != "" {
				req.SetCursor(cursor)
			}
			resp, _, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
			if err != nil {
				if pe, convErr := plaid.ToPlaidError(err); convErr == nil && pe.ErrorCode == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION" {
					restart = true
					break
				}
				return err
			}
			added = append(added, resp.GetAdded()...)
			modified = append(modified, resp.GetModified()...)
			for _, r := range resp.GetRemoved() {
				removed = append(removed, r.TransactionId)
			}
			accounts = append(accounts, resp.GetAccounts()...)
			cursor = resp.GetNextCursor()
			if !resp.GetHasMore() {
				break
			}
		}
		if restart {
			continue
		}
		for _, tx := range added {
			l.txns[tx.TransactionId] = tx
		}
		for _, tx := range modified {
			l.txns[tx.TransactionId] = tx
		}
		for _, id := range removed {
			delete(l.txns, id)
		}
		for _, a := range accounts {
			l.accounts[a.AccountId] = a
		}
		l.cursor = cursor
		return nil
	}
	return errTooManyRestarts
}
