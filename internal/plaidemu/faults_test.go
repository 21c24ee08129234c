package plaidemu_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func TestFaultErrorCodes(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, HistoryDays: 20})
	items := emu.Items()
	token := items[0].AccessToken

	accountsGet := func(tok string) (*http.Response, error) {
		_, resp, err := client.PlaidApi.AccountsGet(testContext(t)).AccountsGetRequest(*plaid.NewAccountsGetRequest(tok)).Execute()
		return resp, err
	}
	balanceGet := func(tok string) (*http.Response, error) {
		_, resp, err := client.PlaidApi.AccountsBalanceGet(testContext(t)).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(tok)).Execute()
		return resp, err
	}
	sync := func(tok string) (*http.Response, error) {
		_, resp, err := client.PlaidApi.TransactionsSync(testContext(t)).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(tok)).Execute()
		return resp, err
	}
	itemGet := func(tok string) (*http.Response, error) {
		_, resp, err := client.PlaidApi.ItemGet(testContext(t)).ItemGetRequest(*plaid.NewItemGetRequest(tok)).Execute()
		return resp, err
	}

	tests := []struct {
		name    string
		fault   plaidemu.Fault
		call    func(string) (*http.Response, error)
		status  int
		errType string
		code    string
	}{
		{"institution down", plaidemu.Fault{Endpoint: "/transactions/sync", ErrorCode: "INSTITUTION_DOWN"}, sync, 400, "INSTITUTION_ERROR", "INSTITUTION_DOWN"},
		{"institution not responding", plaidemu.Fault{Endpoint: "/accounts/get", ErrorCode: "INSTITUTION_NOT_RESPONDING"}, accountsGet, 400, "INSTITUTION_ERROR", "INSTITUTION_NOT_RESPONDING"},
		{"internal server error", plaidemu.Fault{Endpoint: "/transactions/sync", ErrorCode: "INTERNAL_SERVER_ERROR"}, sync, 500, "API_ERROR", "INTERNAL_SERVER_ERROR"},
		{"planned maintenance", plaidemu.Fault{Endpoint: "*", ErrorCode: "PLANNED_MAINTENANCE"}, itemGet, 503, "API_ERROR", "PLANNED_MAINTENANCE"},
		{"rate limit on sync", plaidemu.Fault{Endpoint: "/transactions/sync", ErrorCode: "RATE_LIMIT_EXCEEDED"}, sync, 429, "RATE_LIMIT_EXCEEDED", "TRANSACTIONS_SYNC_LIMIT"},
		{"rate limit on balance", plaidemu.Fault{Endpoint: "/accounts/balance/get", ErrorCode: "RATE_LIMIT_EXCEEDED"}, balanceGet, 429, "RATE_LIMIT_EXCEEDED", "ACCOUNTS_BALANCE_GET_LIMIT"},
		{"rate limit on accounts", plaidemu.Fault{Endpoint: "/accounts/get", ErrorCode: "RATE_LIMIT_EXCEEDED"}, accountsGet, 429, "RATE_LIMIT_EXCEEDED", "ACCOUNTS_LIMIT"},
		{"rate limit on item", plaidemu.Fault{Endpoint: "/item/get", ErrorCode: "ITEM_GET_LIMIT"}, itemGet, 429, "RATE_LIMIT_EXCEEDED", "ITEM_GET_LIMIT"},
		{"mutation during pagination", plaidemu.Fault{Endpoint: "/transactions/sync", ErrorCode: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"}, sync, 400, "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"},
		{"product not ready", plaidemu.Fault{Endpoint: "/transactions/sync", ErrorCode: "PRODUCT_NOT_READY"}, sync, 400, "ITEM_ERROR", "PRODUCT_NOT_READY"},
		{"invalid access token", plaidemu.Fault{Endpoint: "/accounts/get", ErrorCode: "INVALID_ACCESS_TOKEN"}, accountsGet, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN"},
		{"invalid api keys", plaidemu.Fault{Endpoint: "*", ErrorCode: "INVALID_API_KEYS"}, sync, 400, "INVALID_INPUT", "INVALID_API_KEYS"},
		{"item not found", plaidemu.Fault{Endpoint: "/item/get", ErrorCode: "ITEM_NOT_FOUND"}, itemGet, 400, "ITEM_ERROR", "ITEM_NOT_FOUND"},
		{"status override", plaidemu.Fault{Endpoint: "/transactions/sync", ErrorCode: "INTERNAL_SERVER_ERROR", Status: 502}, sync, 502, "API_ERROR", "INTERNAL_SERVER_ERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fault.Count = 1
			_, err := emu.AddFault(tc.fault)
			require.NoError(t, err)
			resp, err := tc.call(token)
			requirePlaidError(t, err, resp, tc.status, tc.errType, tc.code)
			// Count 1: the next call goes through.
			resp, err = tc.call(token)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Empty(t, emu.Faults())
		})
	}

	t.Run("count, item scoping and clearing", func(t *testing.T) {
		_, err := emu.AddFault(plaidemu.Fault{Endpoint: "/accounts/get", Item: items[1].Name, ErrorCode: "INSTITUTION_DOWN", Count: 2})
		require.NoError(t, err)
		resp, err := accountsGet(token)
		require.NoError(t, err, "other items are not affected")
		require.Equal(t, 200, resp.StatusCode)
		for range 2 {
			resp, err := accountsGet(items[1].AccessToken)
			requirePlaidError(t, err, resp, 400, "INSTITUTION_ERROR", "INSTITUTION_DOWN")
		}
		_, err = accountsGet(items[1].AccessToken)
		require.NoError(t, err)

		_, err = emu.AddFault(plaidemu.Fault{Endpoint: "*", Item: items[2].ItemID, ErrorCode: "INTERNAL_SERVER_ERROR"})
		require.NoError(t, err)
		for range 3 {
			resp, err := itemGet(items[2].AccessToken)
			requirePlaidError(t, err, resp, 500, "API_ERROR", "INTERNAL_SERVER_ERROR")
		}
		require.Len(t, emu.Faults(), 1)
		require.Equal(t, 3, emu.Faults()[0].Fired)
		emu.ClearFaults()
		_, err = itemGet(items[2].AccessToken)
		require.NoError(t, err)
	})

	t.Run("an ITEM_LOGIN_REQUIRED fault breaks the login until repaired", func(t *testing.T) {
		_, err := emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", Item: items[2].AccessToken, ErrorCode: "ITEM_LOGIN_REQUIRED", Count: 1})
		require.NoError(t, err)
		resp, err := sync(items[2].AccessToken)
		requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
		require.Empty(t, emu.Faults())
		resp, err = accountsGet(items[2].AccessToken)
		requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
		got, _, err := client.PlaidApi.ItemGet(testContext(t)).ItemGetRequest(*plaid.NewItemGetRequest(items[2].AccessToken)).Execute()
		require.NoError(t, err)
		require.Equal(t, "ITEM_LOGIN_REQUIRED", got.Item.GetError().ErrorCode)
		require.Equal(t, "ITEM_LOGIN_REQUIRED", emu.Items()[2].Error)
	})
}

func TestFaultPageOfSyncLoop(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, HistoryDays: 30})
	it := emu.Items()[0]
	_, err := emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", ErrorCode: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", Page: 3, Count: 1})
	require.NoError(t, err)
	l := newLedger()
	rep := syncItem(t, client, it.AccessToken, 20, l, nil)
	require.Equal(t, 1, rep.restarts, "page 3 failed once, the loop restarted")
	requireLedgerMatchesTruth(t, l, itemByName(t, emu.GroundTruth(), it.Name))
	st := emu.Stats()
	// 2 pages before the failure, the failed third, then the full loop again.
	require.Equal(t, 3+rep.pages, st.Calls["/transactions/sync"])
}

func TestFaultLatency(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, HistoryDays: 10})
	token := emu.Items()[0].AccessToken
	_, err := emu.AddFault(plaidemu.Fault{Endpoint: "/item/get", LatencyMS: 300, Count: 1})
	require.NoError(t, err)
	start := time.Now()
	_, _, err = client.PlaidApi.ItemGet(testContext(t)).ItemGetRequest(*plaid.NewItemGetRequest(token)).Execute()
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)

	// A client with a shorter timeout gives up.
	_, err = emu.AddFault(plaidemu.Fault{Endpoint: "/item/get", LatencyMS: 2000, Count: 1})
	require.NoError(t, err)
	impatient := plaid.NewConfiguration()
	impatient.AddDefaultHeader("PLAID-CLIENT-ID", testClientID)
	impatient.AddDefaultHeader("PLAID-SECRET", testSecret)
	impatient.UseEnvironment(plaid.Environment(emu.URL()))
	impatient.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond}
	_, resp, err := plaid.NewAPIClient(impatient).PlaidApi.ItemGet(testContext(t)).ItemGetRequest(*plaid.NewItemGetRequest(token)).Execute()
	require.Error(t, err)
	require.Nil(t, resp)
	require.True(t, isTimeout(err), "want a timeout, got %v", err)

	// Latency combined with an error.
	_, err = emu.AddFault(plaidemu.Fault{Endpoint: "/item/get", LatencyMS: 100, ErrorCode: "INTERNAL_SERVER_ERROR", Count: 1})
	require.NoError(t, err)
	start = time.Now()
	_, resp, err = client.PlaidApi.ItemGet(testContext(t)).ItemGetRequest(*plaid.NewItemGetRequest(token)).Execute()
	requirePlaidError(t, err, resp, 500, "API_ERROR", "INTERNAL_SERVER_ERROR")
	require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
}

func TestFaultDroppedAndTruncated(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, HistoryDays: 10})
	token := emu.Items()[0].AccessToken
	body := `{"access_token":"` + token + `","count":50}`

	t.Run("dropped connection", func(t *testing.T) {
		_, err := emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", Drop: true, Count: 2})
		require.NoError(t, err)
		_, resp, err := client.PlaidApi.TransactionsSync(testContext(t)).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(token)).Execute()
		require.Error(t, err)
		require.Nil(t, resp, "no HTTP answer for a dropped connection")
		_, convErr := plaid.ToPlaidError(err)
		require.Error(t, convErr, "a dropped connection is not a Plaid error")

		req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, emu.URL()+"/transactions/sync", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("PLAID-CLIENT-ID", testClientID)
		req.Header.Set("PLAID-SECRET", testSecret)
		_, err = (&http.Transport{}).RoundTrip(req) // no retry of the idempotent-looking request
		require.Error(t, err)
		require.True(t, errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset"), err.Error())
	})

	t.Run("truncated body", func(t *testing.T) {
		_, err := emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", Truncate: true, Count: 2})
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, emu.URL()+"/transactions/sync", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("PLAID-CLIENT-ID", testClientID)
		req.Header.Set("PLAID-SECRET", testSecret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "application/json", mediaType(resp.Header.Get("Content-Type")))
		full, err := strconv.Atoi(resp.Header.Get("Content-Length"))
		require.NoError(t, err)
		got, err := io.ReadAll(resp.Body)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		require.Equal(t, full/2, len(got))

		_, _, err = client.PlaidApi.TransactionsSync(testContext(t)).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(token)).Execute()
		require.Error(t, err, "plaid-go cannot decode half a body")

		_, _, err = client.PlaidApi.TransactionsSync(testContext(t)).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(token)).Execute()
		require.NoError(t, err, "the fault was used up")
	})
}

func TestFaultProbabilityIsSeeded(t *testing.T) {
	pattern := func() string {
		emu, client := startEmulator(t, plaidemu.Config{Seed: 11, HistoryDays: 5})
		token := emu.Items()[0].AccessToken
		_, err := emu.AddFault(plaidemu.Fault{Endpoint: "/item/get", ErrorCode: "INTERNAL_SERVER_ERROR", Probability: 0.3})
		require.NoError(t, err)
		var b strings.Builder
		for range 100 {
			_, _, err := client.PlaidApi.ItemGet(testContext(t)).ItemGetRequest(*plaid.NewItemGetRequest(token)).Execute()
			if err != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	first, second := pattern(), pattern()
	require.Equal(t, first, second, "the same seed fires on the same calls")
	fired := strings.Count(first, "x")
	require.Greater(t, fired, 10)
	require.Less(t, fired, 55)
}

func TestFaultValidation(t *testing.T) {
	emu, err := plaidemu.New(plaidemu.Config{Seed: 5, HistoryDays: 5, Today: fixedToday})
	require.NoError(t, err)
	tests := []struct {
		name  string
		fault plaidemu.Fault
		want  string
	}{
		{"unknown endpoint", plaidemu.Fault{Endpoint: "/transactions/teleport", ErrorCode: "INTERNAL_SERVER_ERROR"}, "unknown endpoint"},
		{"missing endpoint", plaidemu.Fault{ErrorCode: "INTERNAL_SERVER_ERROR"}, "unknown endpoint"},
		{"unknown code", plaidemu.Fault{Endpoint: "*", ErrorCode: "SOMETHING_ODD"}, "unknown error_code"},
		{"no effect", plaidemu.Fault{Endpoint: "*"}, "needs error_code"},
		{"page on another endpoint", plaidemu.Fault{Endpoint: "/item/get", ErrorCode: "INTERNAL_SERVER_ERROR", Page: 2}, "page applies"},
		{"negative count", plaidemu.Fault{Endpoint: "*", ErrorCode: "INTERNAL_SERVER_ERROR", Count: -1}, "count"},
		{"probability above 1", plaidemu.Fault{Endpoint: "*", ErrorCode: "INTERNAL_SERVER_ERROR", Probability: 1.5}, "probability"},
		{"drop with an error", plaidemu.Fault{Endpoint: "*", ErrorCode: "INTERNAL_SERVER_ERROR", Drop: true}, "drop_connection"},
		{"drop with truncate", plaidemu.Fault{Endpoint: "*", Truncate: true, Drop: true}, "drop_connection"},
		{"bad status", plaidemu.Fault{Endpoint: "*", ErrorCode: "INTERNAL_SERVER_ERROR", Status: 999}, "status"},
		{"unknown item", plaidemu.Fault{Endpoint: "*", ErrorCode: "INTERNAL_SERVER_ERROR", Item: "Nobody's Bank"}, "no item"},
		{"latency too long", plaidemu.Fault{Endpoint: "*", LatencyMS: 3_600_000}, "latency_ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := emu.AddFault(tc.fault)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.Empty(t, id)
		})
	}
	require.Empty(t, emu.Faults())
}

func TestStats(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, HistoryDays: 10})
	items := emu.Items()
	ctx := testContext(t)
	for range 3 {
		_, _, err := client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(items[0].AccessToken)).Execute()
		require.NoError(t, err)
	}
	syncItem(t, client, items[1].AccessToken, 500, newLedger(), nil)
	_, _, err := client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest("access-sandbox-unknown")).Execute()
	require.Error(t, err)

	st := emu.Stats()
	require.Equal(t, 4, st.Calls["/item/get"])
	require.Equal(t, 1, st.Calls["/transactions/sync"])
	require.Equal(t, map[string]int{"/item/get": 3}, st.ByItem[items[0].Name])
	require.Equal(t, map[string]int{"/transactions/sync": 1}, st.ByItem[items[1].Name])
	require.Positive(t, st.Bytes["/item/get"])
	require.Greater(t, st.Bytes["/transactions/sync"], st.Bytes["/item/get"])
	require.Equal(t, st.Bytes["/transactions/sync"], st.BytesByItem[items[1].Name])

	emu.ResetStats()
	st = emu.Stats()
	require.Empty(t, st.Calls)
	require.Empty(t, st.ByItem)
}

// TestFaultMalformedTransaction: a fault leaves a field out of one
// transaction of a page; the rest of the page and later pages are whole.
func TestFaultMalformedTransaction(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, Items: 1, HistoryDays: 20})
	tok := emu.Items()[0].AccessToken
	_, err := emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", MalformedField: "date", Page: 1, Count: 1})
	require.NoError(t, err)
	status, body, _ := rawCall(t, emu.URL(), http.MethodPost, "/transactions/sync", `{"access_token":"`+tok+`","count":50}`, true)
	require.Equal(t, http.StatusOK, status)
	var page struct {
		Added []map[string]json.RawMessage `json:"added"`
	}
	require.NoError(t, json.Unmarshal(body, &page))
	require.Len(t, page.Added, 50)
	missing := 0
	for _, tx := range page.Added {
		if _, ok := tx["date"]; !ok {
			missing++
		}
		require.Contains(t, tx, "transaction_id")
	}
	require.Equal(t, 1, missing, "exactly one transaction lacks its date")
	t.Logf("fault: %+v", emu.Faults())

	// Through plaid-go the transaction arrives without a date; the fault is
	// spent, so the next page is whole.
	_, err = emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", MalformedField: "date", Count: 1})
	require.NoError(t, err)
	undated := func() int {
		resp, _, err := client.PlaidApi.TransactionsSync(testContext(t)).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(tok)).Execute()
		require.NoError(t, err)
		require.NotEmpty(t, resp.GetAdded())
		n := 0
		for _, tx := range resp.GetAdded() {
			if tx.Date == "" {
				n++
			}
		}
		return n
	}
	require.Equal(t, 1, undated())
	require.Equal(t, 0, undated())

	_, err = emu.AddFault(plaidemu.Fault{Endpoint: "/item/get", MalformedField: "date"})
	require.ErrorContains(t, err, "malformed_field applies to")
	_, err = emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", MalformedField: "colour"})
	require.ErrorContains(t, err, "malformed_field must be one of")
}
