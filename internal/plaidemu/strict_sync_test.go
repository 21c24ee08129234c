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

// TestUpdateStatusProgression: a newly linked item answers NOT_READY, then
// INITIAL_UPDATE_COMPLETE with its last 30 days only, then
// HISTORICAL_UPDATE_COMPLETE with the older history added.
func TestUpdateStatusProgression(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 11, Items: -1, HistoryDays: 120, InitialUpdateSyncs: 2})
	tok := sandboxItem(t, client, "ins_109508")
	name := emu.Items()[0].Name
	recentFrom := fixedToday.AddDate(0, 0, -plaidemu.InitialUpdateDays+1).Format("2006-01-02")

	l := newLedger()
	rep := syncItem(t, client, tok, 500, l, nil)
	require.Equal(t, "NOT_READY", rep.updateStatus)
	require.Empty(t, l.cursor)

	rep = syncItem(t, client, tok, 500, l, nil)
	require.Equal(t, "INITIAL_UPDATE_COMPLETE", rep.updateStatus)
	require.NotEmpty(t, rep.added)
	oldest := fixedToday.Format("2006-01-02")
	for _, tx := range l.txns {
		require.GreaterOrEqual(t, tx.Date, recentFrom, "initial update brings recent days only")
		oldest = min(oldest, tx.Date)
	}
	requireLedgerMatchesTruth(t, l, itemByName(t, emu.GroundTruth(), name))
	initial := len(l.txns)
	t.Logf("initial update: %d transactions from %s", initial, oldest)

	rep = syncItem(t, client, tok, 500, l, nil)
	require.Equal(t, "INITIAL_UPDATE_COMPLETE", rep.updateStatus)
	require.Empty(t, rep.added)

	rep = syncItem(t, client, tok, 500, l, nil)
	require.Equal(t, "HISTORICAL_UPDATE_COMPLETE", rep.updateStatus)
	require.NotEmpty(t, rep.added)
	for _, a := range rep.added {
		require.Less(t, a.txn.Date, recentFrom, "the historical update adds older transactions")
	}
	requireLedgerMatchesTruth(t, l, itemByName(t, emu.GroundTruth(), name))
	oldest = fixedToday.Format("2006-01-02")
	for _, tx := range l.txns {
		oldest = min(oldest, tx.Date)
	}
	// /sandbox/public_token/create without days_requested: Plaid's 90 days.
	require.Equal(t, fixedToday.AddDate(0, 0, -plaidemu.DefaultDaysRequested+1).Format("2006-01-02"), oldest)
	t.Logf("historical update: %d more transactions, oldest %s", len(l.txns)-initial, oldest)

	// The control ends the initial update at once.
	tok2 := sandboxItem(t, client, "ins_109511")
	name2 := emu.Items()[1].Name
	l2 := newLedger()
	syncItem(t, client, tok2, 500, l2, nil) // NOT_READY
	syncItem(t, client, tok2, 500, l2, nil) // INITIAL_UPDATE_COMPLETE
	require.NoError(t, emu.CompleteHistoricalUpdate(name2))
	rep = syncItem(t, client, tok2, 500, l2, nil)
	require.Equal(t, "HISTORICAL_UPDATE_COMPLETE", rep.updateStatus)
	requireLedgerMatchesTruth(t, l2, itemByName(t, emu.GroundTruth(), name2))
}

// TestNowCursor: cursor "now" returns no transactions and a cursor for the
// present; from it a client sees exactly what changes afterwards.
func TestNowCursor(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 9, Items: 1, HistoryDays: 60})
	tok := emu.Items()[0].AccessToken
	ctx := testContext(t)
	req := plaid.NewTransactionsSyncRequest(tok)
	req.SetCursor("now")
	resp, _, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
	require.NoError(t, err)
	require.Empty(t, resp.GetAdded())
	require.Empty(t, resp.GetModified())
	require.Empty(t, resp.GetRemoved())
	require.False(t, resp.GetHasMore())
	require.Equal(t, plaid.TRANSACTIONSUPDATESTATUS_HISTORICAL_UPDATE_COMPLETE, resp.GetTransactionsUpdateStatus())
	nowCursor := resp.GetNextCursor()
	require.NotEmpty(t, nowCursor)
	require.NotEqual(t, "now", nowCursor)

	full := newLedger()
	syncItem(t, client, tok, 500, full, nil)
	_, err = emu.Advance(3)
	require.NoError(t, err)
	fullRep := syncItem(t, client, tok, 500, full, nil)
	require.NotEmpty(t, fullRep.added)

	var added []string
	cur := nowCursor
	for page := 0; ; page++ {
		require.Less(t, page, 100)
		req := plaid.NewTransactionsSyncRequest(tok)
		req.SetCursor(cur)
		req.SetCount(500)
		resp, _, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
		require.NoError(t, err)
		for _, tx := range resp.GetAdded() {
			added = append(added, tx.TransactionId)
		}
		cur = resp.GetNextCursor()
		if !resp.GetHasMore() {
			break
		}
	}
	var want []string
	for _, a := range fullRep.added {
		want = append(want, a.txn.TransactionId)
	}
	require.ElementsMatch(t, want, added, "from \"now\" a client sees only what was added since")
	t.Logf("after 3 days, %d transactions added since \"now\"; the full history holds %d", len(added), len(full.txns))
}

// TestSyncAccountTypes: sync serves transactions of depository, credit and
// student loan accounts only; each page lists just the accounts of its
// transactions, never an investment account; mortgages keep their balance
// but send no transactions.
func TestSyncAccountTypes(t *testing.T) {
	// Seed 2 gives student loans and a mortgage among nine items.
	emu, client := startEmulator(t, plaidemu.Config{Seed: 2, Items: 9, HistoryDays: 120})
	ctx := testContext(t)
	kinds := map[string]int{}
	mortgages := 0
	for _, info := range emu.Items() {
		truth := itemByName(t, emu.GroundTruth(), info.Name)
		subtype := map[string]string{}
		for _, a := range truth.Accounts {
			subtype[a.AccountID] = a.Type + "/" + a.Subtype
			if a.Subtype == "mortgage" {
				mortgages++
				require.NotNil(t, a.Balances.Current, "a mortgage keeps its balance")
			}
			if a.Subtype == "mortgage" || a.Type == "investment" {
				require.Zero(t, a.Count, "%s: ground truth counts no transactions for %s", info.Name, a.Name)
			}
		}
		cursor := ""
		for page := 0; ; page++ {
			require.Less(t, page, 1000)
			req := plaid.NewTransactionsSyncRequest(info.AccessToken)
			req.SetCount(50)
			if cursor != "" {
				req.SetCursor(cursor)
			}
			resp, _, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
			require.NoError(t, err)
			inPage := map[string]bool{}
			for _, tx := range resp.GetAdded() {
				inPage[tx.AccountId] = true
				st := subtype[tx.AccountId]
				require.Contains(t, []string{"depository/checking", "depository/savings", "credit/credit card", "loan/student"}, st)
				kinds[st]++
			}
			listed := map[string]bool{}
			for _, a := range resp.GetAccounts() {
				require.NotEqual(t, plaid.ACCOUNTTYPE_INVESTMENT, a.Type)
				listed[a.AccountId] = true
			}
			require.Equal(t, inPage, listed, "page %d lists exactly its transactions' accounts", page)
			cursor = resp.GetNextCursor()
			if !resp.GetHasMore() {
				break
			}
		}
	}
	t.Logf("transactions by account type: %v", kinds)
	require.Positive(t, kinds["loan/student"], "student loan payments are served")
	require.Positive(t, kinds["credit/credit card"])
	require.Positive(t, mortgages, "the data holds a mortgage")
}

// TestPFCVersions: options.personal_finance_category_version chooses the
// taxonomy; a client configured for v2 only always gets v2; the ground
// truth totals each taxonomy.
func TestPFCVersions(t *testing.T) {
	detailed := func(l *ledger) (map[string]plaidemu.CategoryTruth, map[string]bool) {
		out := map[string]plaidemu.CategoryTruth{}
		versions := map[string]bool{}
		for _, tx := range l.txns {
			key := plaidemu.UncategorizedKey
			if pfc, ok := tx.GetPersonalFinanceCategoryOk(); ok && pfc != nil {
				key = pfc.Detailed
				versions[string(pfc.GetVersion())] = true
			}
			c := out[key]
			c.Count++
			c.SumCents += toCents(tx.Amount)
			out[key] = c
		}
		return out, versions
	}
	want := func(it plaidemu.ItemTruth, version string) map[string]plaidemu.CategoryTruth {
		out := map[string]plaidemu.CategoryTruth{}
		for _, a := range it.Accounts {
			for k, c := range a.DetailedCategories[version] {
				s := out[k]
				s.Count += c.Count
				s.SumCents += c.SumCents
				out[k] = s
			}
		}
		return out
	}
	syncVersion := func(t *testing.T, client *plaid.APIClient, tok string, version *plaid.PersonalFinanceCategoryVersion) *ledger {
		l := newLedger()
		ctx := testContext(t)
		for page := 0; ; page++ {
			require.Less(t, page, 1000)
			req := plaid.NewTransactionsSyncRequest(tok)
			req.SetCount(500)
			if version != nil {
				o := plaid.NewTransactionsSyncRequestOptions()
				o.SetPersonalFinanceCategoryVersion(*version)
				req.SetOptions(*o)
			}
			if l.cursor != "" {
				req.SetCursor(l.cursor)
			}
			resp, _, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
			require.NoError(t, err)
			for _, tx := range resp.GetAdded() {
				l.txns[tx.TransactionId] = tx
			}
			l.cursor = resp.GetNextCursor()
			if !resp.GetHasMore() {
				return l
			}
		}
	}
	v1, v2 := plaid.PERSONALFINANCECATEGORYVERSION_V1, plaid.PERSONALFINANCECATEGORYVERSION_V2

	emu, client := startEmulator(t, plaidemu.Config{Seed: 6, Items: 1, HistoryDays: 60})
	info := emu.Items()[0]
	truth := itemByName(t, emu.GroundTruth(), info.Name)
	for name, tc := range map[string]struct {
		asked *plaid.PersonalFinanceCategoryVersion
		want  string
	}{"default": {nil, "v1"}, "v1": {&v1, "v1"}, "v2": {&v2, "v2"}} {
		got, versions := detailed(syncVersion(t, client, info.AccessToken, tc.asked))
		require.Equal(t, want(truth, tc.want), got, name)
		require.Equal(t, map[string]bool{tc.want: true}, versions, "%s: personal_finance_category.version", name)
	}
	gotV1, _ := detailed(syncVersion(t, client, info.AccessToken, &v1))
	gotV2, _ := detailed(syncVersion(t, client, info.AccessToken, &v2))
	require.Contains(t, gotV1, "INCOME_WAGES")
	require.Contains(t, gotV2, "INCOME_SALARY")
	require.NotContains(t, gotV2, "INCOME_WAGES")
	t.Logf("v1 paychecks: %+v; v2: %+v", gotV1["INCOME_WAGES"], gotV2["INCOME_SALARY"])

	// A client that may only receive v2 gets v2 even when it asks for v1.
	emu2, client2 := startEmulator(t, plaidemu.Config{Seed: 6, Items: 1, HistoryDays: 60, PFCVersion: "v2"})
	truth2 := itemByName(t, emu2.GroundTruth(), emu2.Items()[0].Name)
	for _, asked := range []*plaid.PersonalFinanceCategoryVersion{nil, &v1} {
		got, versions := detailed(syncVersion(t, client2, emu2.Items()[0].AccessToken, asked))
		require.Equal(t, want(truth2, "v2"), got)
		require.Equal(t, map[string]bool{"v2": true}, versions)
	}
	_, err := plaidemu.New(plaidemu.Config{PFCVersion: "v3"})
	require.ErrorContains(t, err, "PFCVersion")
}
