package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
)

// The approach telegraf-plaid replaces, plaid-sync's, re-reads everything on
// every run: per item the item's info (/item/get), a real-time balance
// (/accounts/balance/get, billed per call) and the last 30 days of
// transactions through /transactions/get, paged by offset, 500 at a time.
// It is implemented here with the real plaid-go client so that both are
// measured against the same emulator.

// refetchWindowDays is plaid-sync's window of transactions read every run.
const refetchWindowDays = 30

// refetchPageSize is the largest page /transactions/get serves.
const refetchPageSize = 500

// NewRefetchClient returns a plaid-go client for the emulator at baseURL.
func NewRefetchClient(baseURL string) *plaid.APIClient {
	return plaidapi.NewClient(plaidapi.Options{ClientID: ClientID, Secret: Secret, BaseURL: baseURL})
}

// RefetchRun does for one item what one plaid-sync run does and returns the
// transactions it read. today is the emulated date (YYYY-MM-DD).
func RefetchRun(ctx context.Context, client *plaid.APIClient, accessToken, today string) (int, error) {
	api := client.PlaidApi
	if _, resp, err := api.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(accessToken)).Execute(); err != nil {
		return 0, fmt.Errorf("/item/get: %w", plaidapi.FromPlaidGo(err, resp))
	}
	if _, resp, err := api.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(accessToken)).Execute(); err != nil {
		return 0, fmt.Errorf("/accounts/balance/get: %w", plaidapi.FromPlaidGo(err, resp))
	}
	end, err := time.Parse(time.DateOnly, today)
	if err != nil {
		return 0, err
	}
	start := end.AddDate(0, 0, -refetchWindowDays)
	read := 0
	for offset := 0; ; {
		req := plaid.NewTransactionsGetRequest(accessToken, start.Format(time.DateOnly), end.Format(time.DateOnly))
		opts := plaid.NewTransactionsGetRequestOptions()
		opts.SetCount(refetchPageSize)
		opts.SetOffset(int32(offset))
		req.SetOptions(*opts)
		page, resp, err := api.TransactionsGet(ctx).TransactionsGetRequest(*req).Execute()
		if err != nil {
			return read, fmt.Errorf("/transactions/get: %w", plaidapi.FromPlaidGo(err, resp))
		}
		read += len(page.Transactions)
		offset += len(page.Transactions)
		if len(page.Transactions) == 0 || offset >= int(page.TotalTransactions) {
			return read, nil
		}
	}
}
