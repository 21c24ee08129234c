package plaidemu_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

const (
	testClientID = "test_client_id"
	testSecret   = "test_secret"
)

// fixedToday keeps dates in assertions stable across test runs.
var fixedToday = time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)

// startEmulator serves a new emulator on a free loopback port and returns
// it with a plaid-go client pointed at it.
func startEmulator(t testing.TB, cfg plaidemu.Config) (*plaidemu.Emulator, *plaid.APIClient) {
	t.Helper()
	if cfg.Today.IsZero() {
		cfg.Today = fixedToday
	}
	emu, err := plaidemu.New(cfg)
	require.NoError(t, err)
	url, err := emu.Serve("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, emu.Close()) })
	return emu, newClient(url, testClientID, testSecret)
}

// newClient builds a plaid-go client the way the product does.
func newClient(baseURL, clientID, secret string) *plaid.APIClient {
	cfg := plaid.NewConfiguration()
	cfg.AddDefaultHeader("PLAID-CLIENT-ID", clientID)
	cfg.AddDefaultHeader("PLAID-SECRET", secret)
	cfg.UseEnvironment(plaid.Environment(baseURL))
	cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	return plaid.NewAPIClient(cfg)
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// requirePlaidError checks that a plaid-go call failed with Plaid's error
// object carrying code, type and HTTP status.
func requirePlaidError(t testing.TB, err error, resp *http.Response, status int, errType, code string) plaid.PlaidError {
	t.Helper()
	require.Error(t, err)
	require.NotNil(t, resp, "expected an HTTP answer, got a transport error: %v", err)
	require.Equal(t, status, resp.StatusCode)
	require.Equal(t, "application/json", mediaType(resp.Header.Get("Content-Type")))
	pe, convErr := plaid.ToPlaidError(err)
	require.NoError(t, convErr)
	require.Equal(t, code, pe.ErrorCode, "error_message: %s", pe.ErrorMessage)
	require.Equal(t, errType, string(pe.ErrorType))
	require.NotEmpty(t, pe.ErrorMessage)
	require.NotEmpty(t, pe.GetRequestId())
	require.Equal(t, int32(status), pe.GetStatus())
	require.NotEmpty(t, pe.GetDocumentationUrl())
	return pe
}

func mediaType(ct string) string {
	for i := 0; i < len(ct); i++ {
		if ct[i] == ';' {
			return ct[:i]
		}
	}
	return ct
}

func toCents(amount float64) int64 { return int64(math.Round(amount * 100)) }

// ledger is a client's copy of one item's transactions, built from sync
// pages exactly as a client applies them.
type ledger struct {
	cursor   string
	txns     map[string]plaid.Transaction
	accounts map[string]plaid.AccountBase
}

func newLedger() *ledger {
	return &ledger{txns: map[string]plaid.Transaction{}, accounts: map[string]plaid.AccountBase{}}
}

// syncReport records what one sync loop saw, page by page.
type syncReport struct {
	pages        int
	restarts     int
	added        []pageTxn
	modified     []pageTxn
	removed      []pageRemoved
	before       map[string]plaid.Transaction // versions replaced by modified/removed
	updateStatus string
}

type pageTxn struct {
	page int
	txn  plaid.Transaction
}

type pageRemoved struct {
	page int
	id   string
}

// syncItem runs a full /transactions/sync loop for token from the ledger's
// cursor, restarting from that cursor when Plaid reports a mutation during
// pagination, and applies the result only when the loop completes.
// between runs before each page after the first (for tests that change the
// data mid-loop).
func syncItem(t testing.TB, client *plaid.APIClient, token string, count int32, l *ledger, between func(page int)) syncReport {
	t.Helper()
	ctx := testContext(t)
	for attempt := 0; attempt < 5; attempt++ {
		rep := syncReport{before: map[string]plaid.Transaction{}}
		cursor := l.cursor
		added := map[string]plaid.Transaction{}
		var addOrder []string
		var modified []plaid.Transaction
		var removed []string
		var accounts []plaid.AccountBase
		restart := false
		for page := 1; ; page++ {
			require.Less(t, page, 10000, "sync loop does not end")
			if between != nil && page > 1 {
				between(page)
			}
			req := plaid.NewTransactionsSyncRequest(token)
			req.SetCount(count)
			if cursor != "" {
				req.SetCursor(cursor)
			}
			resp, httpResp, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
			if err != nil {
				requirePlaidError(t, err, httpResp, 400, "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION")
				restart = true
				break
			}
			rep.pages++
			rep.updateStatus = string(resp.GetTransactionsUpdateStatus())
			for _, tx := range resp.GetAdded() {
				added[tx.TransactionId] = tx
				addOrder = append(addOrder, tx.TransactionId)
				rep.added = append(rep.added, pageTxn{page, tx})
			}
			for _, tx := range resp.GetModified() {
				modified = append(modified, tx)
				rep.modified = append(rep.modified, pageTxn{page, tx})
			}
			for _, r := range resp.GetRemoved() {
				removed = append(removed, r.TransactionId)
				rep.removed = append(rep.removed, pageRemoved{page, r.TransactionId})
			}
			// Each page lists the accounts of its own transactions.
			accounts = append(accounts, resp.GetAccounts()...)
			cursor = resp.GetNextCursor()
			if !resp.GetHasMore() {
				break
			}
		}
		if restart {
			continue
		}
		rep.restarts = attempt
		for _, tx := range modified {
			old, ok := l.txns[tx.TransactionId]
			require.True(t, ok, "modified transaction %s was never added", tx.TransactionId)
			rep.before[tx.TransactionId] = old
			l.txns[tx.TransactionId] = tx
		}
		for _, id := range removed {
			old, ok := l.txns[id]
			require.True(t, ok, "removed transaction %s was never added", id)
			rep.before[id] = old
			_, inAdded := added[id]
			require.False(t, inAdded, "transaction %s both added and removed in one update", id)
			delete(l.txns, id)
		}
		for _, id := range addOrder {
			_, exists := l.txns[id]
			require.False(t, exists, "transaction %s added twice", id)
			l.txns[id] = added[id]
		}
		for _, a := range accounts {
			l.accounts[a.AccountId] = a
		}
		l.cursor = cursor
		return rep
	}
	t.Fatalf("sync of %s did not complete after 5 restarts", token[:20])
	return syncReport{}
}

// requireLedgerMatchesTruth compares a client's ledger with the emulator's
// ground truth for one item: per-account counts, pending counts, cent sums
// and per-category totals, and balances.
func requireLedgerMatchesTruth(t testing.TB, l *ledger, it plaidemu.ItemTruth) {
	t.Helper()
	type acc struct {
		count, pending int
		sum            int64
		cats           map[string]plaidemu.CategoryTruth
	}
	got := map[string]*acc{}
	for _, a := range it.Accounts {
		got[a.AccountID] = &acc{cats: map[string]plaidemu.CategoryTruth{}}
	}
	for _, tx := range l.txns {
		a, ok := got[tx.AccountId]
		require.True(t, ok, "transaction %s on unknown account %s", tx.TransactionId, tx.AccountId)
		c := toCents(tx.Amount)
		a.count++
		a.sum += c
		if tx.Pending {
			a.pending++
		}
		key := plaidemu.UncategorizedKey
		if pfc, ok := tx.GetPersonalFinanceCategoryOk(); ok && pfc != nil {
			key = pfc.Primary
		}
		ct := a.cats[key]
		ct.Count++
		ct.SumCents += c
		a.cats[key] = ct
	}
	for _, want := range it.Accounts {
		g := got[want.AccountID]
		require.Equal(t, want.Count, g.count, "%s / %s: count", it.Name, want.Name)
		require.Equal(t, want.PendingCount, g.pending, "%s / %s: pending count", it.Name, want.Name)
		require.Equal(t, want.SumCents, g.sum, "%s / %s: sum of cents", it.Name, want.Name)
		require.Equal(t, want.Categories, g.cats, "%s / %s: categories", it.Name, want.Name)
		acct, ok := l.accounts[want.AccountID]
		if want.Count == 0 && g.count == 0 && !ok {
			// Sync lists only the accounts of the transactions it brings.
			continue
		}
		require.True(t, ok, "%s / %s: account missing from sync", it.Name, want.Name)
		requireBalances(t, want.Balances, acct.Balances, it.Name+" / "+want.Name)
	}
}

func requireBalances(t testing.TB, want plaidemu.Balances, got plaid.AccountBalance, what string) {
	t.Helper()
	check := func(name string, w *float64, g plaid.NullableFloat64) {
		if w == nil {
			require.Nil(t, g.Get(), "%s: %s should be null", what, name)
			return
		}
		require.NotNil(t, g.Get(), "%s: %s is null", what, name)
		require.Equal(t, toCents(*w), toCents(*g.Get()), "%s: %s", what, name)
	}
	check("current", want.Current, got.Current)
	check("available", want.Available, got.Available)
	check("limit", want.Limit, got.Limit)
}

func itemByName(t testing.TB, gt plaidemu.GroundTruth, name string) plaidemu.ItemTruth {
	t.Helper()
	for _, it := range gt.Items {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("no item %q in ground truth", name)
	return plaidemu.ItemTruth{}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// sandboxItem links a new item at institution through
// /sandbox/public_token/create and the exchange, returning its access token.
func sandboxItem(t testing.TB, client *plaid.APIClient, institution string) string {
	t.Helper()
	ctx := testContext(t)
	req := plaid.NewSandboxPublicTokenCreateRequest(institution, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	pt, _, err := client.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(*req).Execute()
	require.NoError(t, err)
	require.Regexp(t, `^public-sandbox-[0-9a-f-]{36}$`, pt.GetPublicToken())
	ex, _, err := client.PlaidApi.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(
		*plaid.NewItemPublicTokenExchangeRequest(pt.GetPublicToken())).Execute()
	require.NoError(t, err)
	require.Regexp(t, `^access-sandbox-[0-9a-f-]{36}$`, ex.GetAccessToken())
	return ex.GetAccessToken()
}

// emulatedNow is the emulator's clock for a Today of fixedToday after
// advancing days: the wall-clock time of day on the emulated date.
func emulatedNow(days int) time.Time {
	now := time.Now().UTC()
	return fixedToday.AddDate(0, 0, days).Add(now.Sub(now.Truncate(24 * time.Hour)))
}

var errTooManyRestarts = errors.New("sync restarted too often")
