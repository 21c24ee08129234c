package plaidemu_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// newLinkToken creates a link token the way linktool does; accessToken
// selects update mode, hosted asks for Hosted Link.
func newLinkToken(t testing.TB, client *plaid.APIClient, accessToken string, hosted bool, days int32) plaid.LinkTokenCreateResponse {
	t.Helper()
	user := plaid.NewLinkTokenCreateRequestUser("user-1")
	req := plaid.NewLinkTokenCreateRequest("telegraf-plaid", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US})
	req.SetUser(*user)
	if accessToken != "" {
		req.SetAccessToken(accessToken)
	} else {
		req.SetProducts([]plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	}
	if hosted {
		req.SetHostedLink(*plaid.NewLinkTokenCreateHostedLink())
	}
	if days > 0 {
		tr := plaid.NewLinkTokenTransactions()
		tr.SetDaysRequested(days)
		req.SetTransactions(*tr)
	}
	resp, _, err := client.PlaidApi.LinkTokenCreate(testContext(t)).LinkTokenCreateRequest(*req).Execute()
	require.NoError(t, err)
	require.Regexp(t, `^link-sandbox-[0-9a-f-]{36}$`, resp.GetLinkToken())
	return resp
}

func linkTokenGet(t testing.TB, client *plaid.APIClient, token string) plaid.LinkTokenGetResponse {
	t.Helper()
	resp, _, err := client.PlaidApi.LinkTokenGet(testContext(t)).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(token)).Execute()
	require.NoError(t, err)
	return resp
}

func exchange(t testing.TB, client *plaid.APIClient, publicToken string) plaid.ItemPublicTokenExchangeResponse {
	t.Helper()
	resp, _, err := client.PlaidApi.ItemPublicTokenExchange(testContext(t)).ItemPublicTokenExchangeRequest(
		*plaid.NewItemPublicTokenExchangeRequest(publicToken)).Execute()
	require.NoError(t, err)
	return resp
}

func TestSandboxLinkAndReadiness(t *testing.T) {
	tests := []struct {
		name     string
		notReady int
		want     int // NOT_READY answers before data
	}{
		{"default one not-ready sync", 0, 1},
		{"three not-ready syncs", 3, 3},
		{"ready at once", -1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			emu, client := startEmulator(t, plaidemu.Config{Seed: 9, Items: -1, HistoryDays: 60, NotReadySyncs: tc.notReady})
			require.Empty(t, emu.Items())
			token := sandboxItem(t, client, "ins_109508")
			items := emu.Items()
			require.Len(t, items, 1)
			require.Equal(t, "Test Platypus", items[0].Name)
			require.Equal(t, "First Platypus Bank", items[0].InstitutionName)
			require.Equal(t, token, items[0].AccessToken)

			ctx := testContext(t)
			if tc.want > 0 {
				_, resp, err := client.PlaidApi.TransactionsGet(ctx).TransactionsGetRequest(
					*plaid.NewTransactionsGetRequest(token, "2026-01-01", "2026-03-14")).Execute()
				requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "PRODUCT_NOT_READY")
			}
			for i := 1; i < tc.want; i++ {
				resp, _, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(token)).Execute()
				require.NoError(t, err)
				require.Equal(t, plaid.TRANSACTIONSUPDATESTATUS_NOT_READY, resp.GetTransactionsUpdateStatus())
				require.Empty(t, resp.GetAdded())
				require.Empty(t, resp.GetNextCursor())
				require.False(t, resp.GetHasMore())
			}
			l := newLedger()
			rep := syncItem(t, client, token, 500, l, nil)
			require.Equal(t, "HISTORICAL_UPDATE_COMPLETE", rep.updateStatus)
			requireLedgerMatchesTruth(t, l, itemByName(t, emu.GroundTruth(), "Test Platypus"))
			require.NotEmpty(t, l.txns)
		})
	}
}

func TestPublicTokenIsSingleUse(t *testing.T) {
	_, client := startEmulator(t, plaidemu.Config{Seed: 9, Items: -1, HistoryDays: 5})
	req := plaid.NewSandboxPublicTokenCreateRequest("ins_3", []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	pt, _, err := client.PlaidApi.SandboxPublicTokenCreate(testContext(t)).SandboxPublicTokenCreateRequest(*req).Execute()
	require.NoError(t, err)
	first := exchange(t, client, pt.GetPublicToken())
	require.Len(t, first.GetItemId(), 37)
	_, resp, err := client.PlaidApi.ItemPublicTokenExchange(testContext(t)).ItemPublicTokenExchangeRequest(
		*plaid.NewItemPublicTokenExchangeRequest(pt.GetPublicToken())).Execute()
	requirePlaidError(t, err, resp, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN")
}

func TestLinkFlow(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 9, Items: 1, HistoryDays: 30})
	lt := newLinkToken(t, client, "", false, 0)
	require.WithinDuration(t, emulatedNow(0).Add(4*time.Hour), lt.GetExpiration(), time.Minute,
		"link tokens live 4 hours of emulated time")

	_, err := emu.CompleteLink(lt.GetLinkToken(), "ins_109511", "user_good", "wrong")
	require.ErrorIs(t, err, plaidemu.ErrInvalidCredentials)
	_, err = emu.CompleteLink(lt.GetLinkToken(), "ins_nope", "user_good", "pass_good")
	require.ErrorIs(t, err, plaidemu.ErrUnknownInstitution)
	_, err = emu.CompleteLink("link-sandbox-unknown", "ins_109511", "user_good", "pass_good")
	require.ErrorIs(t, err, plaidemu.ErrUnknownLinkToken)

	pt, err := emu.CompleteLink(lt.GetLinkToken(), "ins_109511", "user_good", "pass_good")
	require.NoError(t, err)
	require.NoError(t, emu.CancelLink(lt.GetLinkToken()))

	got := linkTokenGet(t, client, lt.GetLinkToken())
	require.Equal(t, lt.GetLinkToken(), got.GetLinkToken())
	require.Equal(t, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS}, got.Metadata.GetInitialProducts())
	require.Equal(t, "telegraf-plaid", got.Metadata.GetClientName())
	sessions := got.GetLinkSessions()
	require.Len(t, sessions, 2)

	ok := sessions[0]
	require.Equal(t, pt, ok.GetOnSuccess().PublicToken)
	results := ok.GetResults()
	require.Len(t, results.GetItemAddResults(), 1)
	add := results.GetItemAddResults()[0]
	require.Equal(t, pt, add.GetPublicToken())
	inst := add.GetInstitution()
	require.Equal(t, "ins_109511", inst.GetInstitutionId())
	require.Equal(t, "Tartan Bank", inst.GetName())
	require.NotEmpty(t, add.GetAccounts())
	md := ok.GetOnSuccess().Metadata.Get()
	require.Equal(t, ok.GetLinkSessionId(), md.GetLinkSessionId())
	require.Len(t, md.GetAccounts(), len(add.GetAccounts()))

	exited := sessions[1]
	_, hasSuccess := exited.GetOnSuccessOk()
	require.False(t, hasSuccess && exited.OnSuccess.Get() != nil, "an exited session has no on_success")
	exit := exited.GetExit()
	require.Equal(t, exited.GetLinkSessionId(), exit.Metadata.Get().GetLinkSessionId())
	require.NotEmpty(t, exit.Metadata.Get().GetStatus())
	_, hasResults := exited.GetResultsOk()
	require.False(t, hasResults && exited.Results.Get() != nil, "an exited session has no results")

	ex := exchange(t, client, pt)
	items := emu.Items()
	require.Len(t, items, 2)
	require.Equal(t, ex.GetAccessToken(), items[1].AccessToken)
	require.Equal(t, ex.GetItemId(), items[1].ItemID)
	require.Equal(t, "Test Tartan", items[1].Name)

	resp, _, err := client.PlaidApi.InstitutionsGetById(testContext(t)).InstitutionsGetByIdRequest(
		*plaid.NewInstitutionsGetByIdRequest("ins_109511", []plaid.CountryCode{plaid.COUNTRYCODE_US})).Execute()
	require.NoError(t, err)
	require.Equal(t, "Tartan Bank", resp.Institution.GetName())
	require.NotEmpty(t, resp.Institution.GetRoutingNumbers())
}

func TestLinkTokenExpiresWithEmulatedTime(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 9, Items: 1, HistoryDays: 10})
	lt := newLinkToken(t, client, "", false, 0)
	_, err := emu.Advance(1)
	require.NoError(t, err)
	_, err = emu.CompleteLink(lt.GetLinkToken(), "ins_109508", "user_good", "pass_good")
	require.ErrorIs(t, err, plaidemu.ErrLinkTokenExpired)
}

func TestDaysRequested(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 9, Items: 2, HistoryDays: 400})
	today := fixedToday

	t.Run("at link", func(t *testing.T) {
		lt := newLinkToken(t, client, "", false, 30)
		pt, err := emu.CompleteLink(lt.GetLinkToken(), "ins_109509", "user_good", "pass_good")
		require.NoError(t, err)
		ex := exchange(t, client, pt)
		token := ex.GetAccessToken()
		l := newLedger()
		syncItem(t, client, token, 500, newLedger(), nil) // NOT_READY answer
		rep := syncItem(t, client, token, 500, l, nil)
		require.Equal(t, "HISTORICAL_UPDATE_COMPLETE", rep.updateStatus)
		requireDatesSince(t, l, today.AddDate(0, 0, -29))
		requireLedgerMatchesTruth(t, l, itemByName(t, emu.GroundTruth(), "Test Gingham"))
	})

	// syncWithDays runs a page loop sending options.days_requested.
	syncWithDays := func(t *testing.T, token string, days int32, l *ledger) string {
		req := plaid.NewTransactionsSyncRequest(token)
		req.SetCount(500)
		o := plaid.NewTransactionsSyncRequestOptions()
		o.SetDaysRequested(days)
		req.SetOptions(*o)
		if l.cursor != "" {
			req.SetCursor(l.cursor)
		}
		status := ""
		for page := 0; ; page++ {
			require.Less(t, page, 1000)
			resp, _, err := client.PlaidApi.TransactionsSync(testContext(t)).TransactionsSyncRequest(*req).Execute()
			require.NoError(t, err)
			status = string(resp.GetTransactionsUpdateStatus())
			for _, tx := range resp.GetAdded() {
				l.txns[tx.TransactionId] = tx
			}
			for _, a := range resp.GetAccounts() {
				l.accounts[a.AccountId] = a
			}
			req.SetCursor(resp.GetNextCursor())
			l.cursor = resp.GetNextCursor()
			if !resp.GetHasMore() {
				break
			}
		}
		return status
	}

	t.Run("no effect on a pre-seeded item", func(t *testing.T) {
		// Pre-seeded items were linked with Transactions: their history is
		// what Link gave them (HistoryDays), whatever a sync asks.
		it := emu.Items()[0]
		before := itemByName(t, emu.GroundTruth(), it.Name)
		l := newLedger()
		syncWithDays(t, it.AccessToken, 60, l)
		after := itemByName(t, emu.GroundTruth(), it.Name)
		require.Equal(t, itemTruthCount(before), itemTruthCount(after), "nothing was dropped")
		requireDatesSince(t, l, today.AddDate(0, 0, -399))
		requireLedgerMatchesTruth(t, l, after)
	})

	t.Run("Plaid's default of 90 days at link", func(t *testing.T) {
		lt := newLinkToken(t, client, "", false, 0)
		pt, err := emu.CompleteLink(lt.GetLinkToken(), "ins_109510", "user_good", "pass_good")
		require.NoError(t, err)
		ex := exchange(t, client, pt)
		token := ex.GetAccessToken()
		l := newLedger()
		syncWithDays(t, token, 300, newLedger()) // NOT_READY answer
		syncWithDays(t, token, 300, l)
		requireDatesSince(t, l, today.AddDate(0, 0, -89))
		requireLedgerMatchesTruth(t, l, itemByName(t, emu.GroundTruth(), "Test Tattersall"))
	})

	t.Run("on the first sync of an item linked without Transactions", func(t *testing.T) {
		req := plaid.NewSandboxPublicTokenCreateRequest("ins_109511", []plaid.Products{plaid.PRODUCTS_AUTH})
		pt, _, err := client.PlaidApi.SandboxPublicTokenCreate(testContext(t)).SandboxPublicTokenCreateRequest(*req).Execute()
		require.NoError(t, err)
		ex := exchange(t, client, pt.GetPublicToken())
		token := ex.GetAccessToken()
		l := newLedger()
		require.Equal(t, "NOT_READY", syncWithDays(t, token, 60, newLedger()))
		require.Equal(t, "HISTORICAL_UPDATE_COMPLETE", syncWithDays(t, token, 300, l), "the second value no longer matters")
		requireDatesSince(t, l, today.AddDate(0, 0, -59))
		requireLedgerMatchesTruth(t, l, itemByName(t, emu.GroundTruth(), "Test Tartan"))
	})
}

func itemTruthCount(it plaidemu.ItemTruth) int {
	n := 0
	for _, a := range it.Accounts {
		n += a.Count
	}
	return n
}

func requireDatesSince(t testing.TB, l *ledger, first time.Time) {
	t.Helper()
	require.NotEmpty(t, l.txns)
	oldest := "9999-12-31"
	for _, tx := range l.txns {
		if tx.Date < oldest {
			oldest = tx.Date
		}
	}
	require.GreaterOrEqual(t, oldest, first.Format(time.DateOnly))
	require.LessOrEqual(t, oldest, first.AddDate(0, 0, 7).Format(time.DateOnly), "history reaches back about that far")
}

func TestUpdateModeRepairsLogin(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 9, Items: 2, HistoryDays: 60})
	it := emu.Items()[0]
	ctx := testContext(t)
	l := newLedger()
	syncItem(t, client, it.AccessToken, 500, l, nil)

	reset, _, err := client.PlaidApi.SandboxItemResetLogin(ctx).SandboxItemResetLoginRequest(*plaid.NewSandboxItemResetLoginRequest(it.AccessToken)).Execute()
	require.NoError(t, err)
	require.True(t, reset.GetResetLogin())

	for _, call := range []func() (*http.Response, error){
		func() (*http.Response, error) {
			_, r, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(it.AccessToken)).Execute()
			return r, err
		},
		func() (*http.Response, error) {
			_, r, err := client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(it.AccessToken)).Execute()
			return r, err
		},
		func() (*http.Response, error) {
			_, r, err := client.PlaidApi.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(it.AccessToken)).Execute()
			return r, err
		},
		func() (*http.Response, error) {
			_, r, err := client.PlaidApi.TransactionsGet(ctx).TransactionsGetRequest(*plaid.NewTransactionsGetRequest(it.AccessToken, "2026-01-01", "2026-03-01")).Execute()
			return r, err
		},
		func() (*http.Response, error) {
			_, r, err := client.PlaidApi.TransactionsRefresh(ctx).TransactionsRefreshRequest(*plaid.NewTransactionsRefreshRequest(it.AccessToken)).Execute()
			return r, err
		},
		func() (*http.Response, error) {
			_, r, err := client.PlaidApi.LiabilitiesGet(ctx).LiabilitiesGetRequest(*plaid.NewLiabilitiesGetRequest(it.AccessToken)).Execute()
			return r, err
		},
	} {
		resp, err := call()
		requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
	}

	frozen := itemByName(t, emu.GroundTruth(), it.Name)
	_, err = emu.Advance(3)
	require.NoError(t, err)
	require.Equal(t, frozen, itemByName(t, emu.GroundTruth(), it.Name), "a broken login sees no new bank days")

	status, _, err := client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(it.AccessToken)).Execute()
	require.NoError(t, err)
	require.Equal(t, "ITEM_LOGIN_REQUIRED", status.Item.GetError().ErrorCode)
	txStatus := status.GetStatus().Transactions.Get()
	require.NotNil(t, txStatus.LastFailedUpdate.Get())
	require.True(t, txStatus.LastFailedUpdate.Get().After(*txStatus.LastSuccessfulUpdate.Get()))
	require.Equal(t, "ITEM_LOGIN_REQUIRED", emu.Items()[0].Error)

	lt := newLinkToken(t, client, it.AccessToken, false, 0)
	require.WithinDuration(t, emulatedNow(3).Add(30*time.Minute), lt.GetExpiration(), time.Minute,
		"update-mode link tokens live 30 minutes")
	_, err = emu.CompleteLink(lt.GetLinkToken(), "ins_109508", "user_good", "pass_good")
	require.ErrorIs(t, err, plaidemu.ErrWrongInstitution)
	pt, err := emu.CompleteLink(lt.GetLinkToken(), it.InstitutionID, "user_good", "pass_good")
	require.NoError(t, err)
	ex := exchange(t, client, pt)
	require.Equal(t, it.AccessToken, ex.GetAccessToken(), "update mode keeps the item")
	require.Empty(t, emu.Items()[0].Error)

	rep := syncItem(t, client, it.AccessToken, 50, l, nil)
	require.NotEmpty(t, rep.added, "the missed days arrive at once")
	today := fixedToday.AddDate(0, 0, 3).Format(time.DateOnly)
	past := 0
	for _, a := range rep.added {
		require.LessOrEqual(t, a.txn.Date, today)
		if a.txn.Date < today {
			past++
		}
	}
	require.Positive(t, past, "missed transactions carry their own (past) dates")
	requireLedgerMatchesTruth(t, l, itemByName(t, emu.GroundTruth(), it.Name))

	status, _, err = client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(it.AccessToken)).Execute()
	require.NoError(t, err)
	_, hasErr := status.Item.GetErrorOk()
	require.False(t, hasErr && status.Item.Error.Get() != nil, "the error is cleared")
}

func TestHostedLink(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 9, Items: 1, HistoryDays: 10})
	lt := newLinkToken(t, client, "", true, 0)
	url := lt.GetHostedLinkUrl()
	require.True(t, strings.HasPrefix(url, emu.URL()+"/link/hosted/"), url)

	resp, err := http.Get(url)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/html", mediaType(resp.Header.Get("Content-Type")))

	before := linkTokenGet(t, client, lt.GetLinkToken())
	require.Empty(t, before.GetLinkSessions())
	status, body, _ := rawCall(t, emu.URL(), http.MethodPost, "/emulator/link/complete",
		`{"link_token":"`+lt.GetLinkToken()+`","institution_id":"ins_109512","username":"user_good","password":"pass_good"}`, false)
	require.Equal(t, http.StatusOK, status, string(body))

	after := linkTokenGet(t, client, lt.GetLinkToken())
	sessions := after.GetLinkSessions()
	require.Len(t, sessions, 1)
	results := sessions[0].GetResults()
	pt := results.GetItemAddResults()[0].GetPublicToken()
	require.Contains(t, string(body), pt)
	ex := exchange(t, client, pt)
	require.Equal(t, ex.GetItemId(), emu.Items()[1].ItemID)
}
