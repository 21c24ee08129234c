package plaidemu_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func TestRateLimits(t *testing.T) {
	today := emulatedNow(0)
	emu, client := startEmulator(t, plaidemu.Config{Seed: 13, Items: 2, HistoryDays: 5, Today: today})
	items := emu.Items()
	ctx := testContext(t)
	calls := map[string]func(token string) (*http.Response, error){
		"/item/get": func(tok string) (*http.Response, error) {
			_, r, err := client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(tok)).Execute()
			return r, err
		},
		"/accounts/balance/get": func(tok string) (*http.Response, error) {
			_, r, err := client.PlaidApi.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(tok)).Execute()
			return r, err
		},
		"/accounts/get": func(tok string) (*http.Response, error) {
			_, r, err := client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(tok)).Execute()
			return r, err
		},
		"/transactions/refresh": func(tok string) (*http.Response, error) {
			_, r, err := client.PlaidApi.TransactionsRefresh(ctx).TransactionsRefreshRequest(*plaid.NewTransactionsRefreshRequest(tok)).Execute()
			return r, err
		},
		"/transactions/sync": func(tok string) (*http.Response, error) {
			_, r, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(tok)).Execute()
			return r, err
		},
		"/investments/transactions/get": func(tok string) (*http.Response, error) {
			_, r, err := client.PlaidApi.InvestmentsTransactionsGet(ctx).InvestmentsTransactionsGetRequest(
				*plaid.NewInvestmentsTransactionsGetRequest(tok, today.AddDate(0, -1, 0).Format(time.DateOnly), today.Format(time.DateOnly))).Execute()
			return r, err
		},
		"/liabilities/get": func(tok string) (*http.Response, error) {
			_, r, err := client.PlaidApi.LiabilitiesGet(ctx).LiabilitiesGetRequest(*plaid.NewLiabilitiesGetRequest(tok)).Execute()
			return r, err
		},
	}
	// Two items with an investment account (Investments required at link).
	var invested []string
	for range 2 {
		pt, _, err := client.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(
			*plaid.NewSandboxPublicTokenCreateRequest("ins_109508", []plaid.Products{plaid.PRODUCTS_INVESTMENTS})).Execute()
		require.NoError(t, err)
		ex, _, err := client.PlaidApi.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(
			*plaid.NewItemPublicTokenExchangeRequest(pt.GetPublicToken())).Execute()
		require.NoError(t, err)
		invested = append(invested, ex.GetAccessToken())
	}
	tokens := func(endpoint string) []string {
		if endpoint == "/investments/transactions/get" {
			return invested
		}
		return []string{items[0].AccessToken, items[1].AccessToken}
	}
	tests := []struct {
		endpoint string
		perItem  int
		code     string
	}{
		{"/item/get", 15, "ITEM_GET_LIMIT"},
		{"/accounts/balance/get", 5, "ACCOUNTS_BALANCE_GET_LIMIT"},
		{"/accounts/get", 15, "ACCOUNTS_LIMIT"},
		{"/transactions/refresh", 2, "RATE_LIMIT"},
		{"/transactions/sync", 50, "TRANSACTIONS_SYNC_LIMIT"},
		{"/liabilities/get", 15, "RATE_LIMIT"},
		{"/investments/transactions/get", 30, "INVESTMENT_TRANSACTIONS_LIMIT"},
	}

	t.Run("off by default", func(t *testing.T) {
		for range 20 {
			_, err := calls["/item/get"](items[0].AccessToken)
			require.NoError(t, err)
		}
	})

	emu.SetRateLimits(true)
	for _, tc := range tests {
		t.Run(tc.endpoint, func(t *testing.T) {
			call, tok := calls[tc.endpoint], tokens(tc.endpoint)
			for i := 0; i < tc.perItem; i++ {
				_, err := call(tok[0])
				require.NoError(t, err, "call %d is within the limit", i+1)
			}
			resp, err := call(tok[0])
			requirePlaidError(t, err, resp, 429, "RATE_LIMIT_EXCEEDED", tc.code)
			_, err = call(tok[1])
			require.NoError(t, err, "the limit is per item")
		})
	}

	t.Run("switching off lifts the limits", func(t *testing.T) {
		emu.SetRateLimits(false)
		_, err := calls["/accounts/balance/get"](items[0].AccessToken)
		require.NoError(t, err)
	})
}

func TestRateLimitsFromConfig(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 13, Items: 1, HistoryDays: 5, RateLimits: true})
	token := emu.Items()[0].AccessToken
	for range 5 {
		_, _, err := client.PlaidApi.AccountsBalanceGet(testContext(t)).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(token)).Execute()
		require.NoError(t, err)
	}
	_, resp, err := client.PlaidApi.AccountsBalanceGet(testContext(t)).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(token)).Execute()
	requirePlaidError(t, err, resp, 429, "RATE_LIMIT_EXCEEDED", "ACCOUNTS_BALANCE_GET_LIMIT")
}
