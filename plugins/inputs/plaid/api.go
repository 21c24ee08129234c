package plaid

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync/atomic"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/plaid/plaid-go/v42/plaid"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
)

// plaidVersion is the API version plaid-go v42 speaks; the lean sync request
// sends the same.
const plaidVersion = "2020-09-14"

// maxResponseBytes bounds what one response may occupy in memory; a sync page
// of 500 transactions is well under 1 MiB.
const maxResponseBytes = 64 << 20

// api is the plugin's view of Plaid. /transactions/sync, the call that moves
// most data, is decoded with goccy/go-json into the few fields the plugin
// uses: on a realistic page that takes about 2 µs per transaction, against
// about 17 µs with encoding/json and 56 µs with plaid-go's models. Everything
// else goes through plaid-go.
type api struct {
	baseURL  string
	clientID string
	secret   string
	http     *http.Client
	client   *plaid.APIClient
	// pfcVersion is personal_finance_category_version for /transactions/sync,
	// "" for Plaid's default.
	pfcVersion string
}

// newAPI builds the client; concurrency is how many calls may be in flight
// at once (max_concurrency).
func newAPI(o plaidapi.Options, concurrency int, limiter *clientLimiter) *api {
	counting := o
	var rt http.RoundTripper = transportOrDefault(o.Transport, concurrency)
	if limiter != nil {
		rt = &limitedTransport{next: rt, limiter: limiter}
	}
	counting.Transport = &countingTransport{next: rt}
	httpClient := counting.HTTPClient()
	return &api{
		baseURL:  o.BaseURL,
		clientID: o.ClientID,
		secret:   o.Secret,
		http:     httpClient,
		client:   plaidapi.NewClientWithHTTP(o, httpClient),
	}
}

// transportOrDefault gives each client its own connection pool, so that
// closing it on Stop leaves other users of the default transport alone. The
// pool keeps a connection for every call that may be in flight: with Go's
// default of 2 idle connections per host, each gather would open most of
// its connections anew.
func transportOrDefault(rt http.RoundTripper, concurrency int) http.RoundTripper {
	if rt != nil {
		return rt
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(concurrency, t.MaxIdleConnsPerHost)
	t.MaxIdleConns = max(concurrency, t.MaxIdleConns)
	return t
}

// callCounter counts the Plaid calls made on behalf of one item in one gather.
type callCounter struct{ calls atomic.Int64 }

type callCounterKey struct{}

func withCallCounter(ctx context.Context, c *callCounter) context.Context {
	return context.WithValue(ctx, callCounterKey{}, c)
}

type countingTransport struct{ next http.RoundTripper }

func (t *countingTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if c, ok := req.Context().Value(callCounterKey{}).(*callCounter); ok {
		c.calls.Add(1)
	}
	return t.next.RoundTrip(req)
}

// syncPage is one /transactions/sync response.
type syncPage struct {
	Added    []syncTxn `json:"added"`
	Modified []syncTxn `json:"modified"`
	Removed  []struct {
		TransactionID string `json:"transaction_id"`
		AccountID     string `json:"account_id"`
	} `json:"removed"`
	NextCursor   string        `json:"next_cursor"`
	HasMore      bool          `json:"has_more"`
	Accounts     []syncAccount `json:"accounts"`
	UpdateStatus string        `json:"transactions_update_status"`
}

// syncTxn is a transaction as Plaid sends it. Amount shadows the ledger's
// own field so that an amount Plaid left out can be told from a zero one.
type syncTxn struct {
	ledger.Txn
	Amount *float64 `json:"amount"`
}

// ledgerTxn is the transaction for the ledger. A missing amount becomes
// NaN, which no Plaid amount is, so that shaping the transaction skips it
// instead of writing it as 0.
func (t *syncTxn) ledgerTxn() ledger.Txn {
	txn := t.Txn
	txn.Amount = math.NaN()
	if t.Amount != nil {
		txn.Amount = *t.Amount
	}
	return txn
}

type syncAccount struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	Mask      string `json:"mask"`
	Type      string `json:"type"`
	Subtype   string `json:"subtype"`
	Balances  struct {
		ISOCurrencyCode    string `json:"iso_currency_code"`
		UnofficialCurrency string `json:"unofficial_currency_code"`
	} `json:"balances"`
}

// ledgerPage is the page as the ledger stages it, its entries in the order
// the index applies them.
func (p *syncPage) ledgerPage() *ledger.Page {
	changes := make([]ledger.Change, 0, len(p.Added)+len(p.Modified)+len(p.Removed))
	for i := range p.Added {
		changes = append(changes, ledger.Change{Kind: ledger.Added, Txn: p.Added[i].ledgerTxn()})
	}
	for i := range p.Modified {
		changes = append(changes, ledger.Change{Kind: ledger.Modified, Txn: p.Modified[i].ledgerTxn()})
	}
	for _, r := range p.Removed {
		changes = append(changes, ledger.Change{Kind: ledger.Removed, Txn: ledger.Txn{TransactionID: r.TransactionID, AccountID: r.AccountID}})
	}
	var accounts map[string]ledger.Account
	if len(p.Accounts) > 0 {
		accounts = make(map[string]ledger.Account, len(p.Accounts))
		for _, a := range p.Accounts {
			accounts[a.AccountID] = a.info()
		}
	}
	return &ledger.Page{Changes: changes, NextCursor: p.NextCursor, HasMore: p.HasMore, UpdateStatus: p.UpdateStatus, Accounts: accounts}
}

func (a *syncAccount) info() ledger.Account {
	currency := a.Balances.ISOCurrencyCode
	if currency == "" {
		currency = a.Balances.UnofficialCurrency
	}
	return ledger.Account{Name: a.Name, Mask: a.Mask, Type: a.Type, Subtype: a.Subtype, Currency: currency}
}

type syncRequest struct {
	AccessToken string       `json:"access_token"`
	Cursor      string       `json:"cursor,omitempty"`
	Count       int          `json:"count"`
	Options     *syncOptions `json:"options,omitempty"`
}

type syncOptions struct {
	DaysRequested int    `json:"days_requested,omitempty"`
	PFCVersion    string `json:"personal_finance_category_version,omitempty"`
}

// transactionsSync reads one page. days_requested goes with the first
// request of an item (empty cursor); Plaid heeds it only on an item's very
// first sync ever. The category version goes with every request, as Plaid
// shapes every page by it.
func (a *api) transactionsSync(ctx context.Context, accessToken, cursor string, count, daysRequested int) (*syncPage, error) {
	req := syncRequest{AccessToken: accessToken, Cursor: cursor, Count: count}
	var opts syncOptions
	if cursor == "" && daysRequested > 0 {
		opts.DaysRequested = daysRequested
	}
	opts.PFCVersion = a.pfcVersion
	if opts != (syncOptions{}) {
		req.Options = &opts
	}
	var page syncPage
	if err := a.post(ctx, "/transactions/sync", &req, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// post sends one JSON request the way plaid-go does and decodes the answer
// into out, or returns a *plaidapi.Error.
func (a *api) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Plaid-Version", plaidVersion)
	req.Header.Set("PLAID-CLIENT-ID", a.clientID)
	req.Header.Set("PLAID-SECRET", a.secret)
	resp, err := a.http.Do(req)
	if err != nil {
		return &plaidapi.Error{Cause: fmt.Errorf("POST %s: %w", path, unwrapURLError(err))}
	}
	defer resp.Body.Close()
	raw, err := readBody(resp)
	if err != nil {
		return &plaidapi.Error{Cause: fmt.Errorf("POST %s: reading the response: %w", path, err)}
	}
	if resp.StatusCode >= 300 {
		return plaidapi.FromResponse(resp.StatusCode, raw)
	}
	if err := gojson.Unmarshal(raw, out); err != nil {
		return &plaidapi.Error{Cause: fmt.Errorf("POST %s: decoding the response (%d bytes): %w", path, len(raw), err)}
	}
	return nil
}

// readBody reads a response of at most maxResponseBytes, sized up front from
// Content-Length when the server sends it.
func readBody(resp *http.Response) ([]byte, error) {
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= maxResponseBytes {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxResponseBytes))
	return buf.Bytes(), err
}

// unwrapURLError drops net/http's "Post \"URL\":" prefix; the path is
// already in the message.
func unwrapURLError(err error) error {
	if ue, ok := err.(interface{ Unwrap() error }); ok {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// itemGetResult is what /item/get says.
type itemGetResult struct {
	ItemID        string
	InstitutionID string
	Institution   string
	Status        Health
	Products      []string
}

func (a *api) itemGet(ctx context.Context, accessToken string) (itemGetResult, error) {
	resp, httpResp, err := a.client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(accessToken)).Execute()
	if err != nil {
		return itemGetResult{}, plaidapi.FromPlaidGo(err, httpResp)
	}
	item := resp.Item
	h := itemGetResult{
		ItemID:        item.ItemId,
		InstitutionID: item.GetInstitutionId(),
		Institution:   item.GetInstitutionName(),
	}
	products := item.GetProducts()
	if len(products) == 0 {
		products = item.BilledProducts
	}
	for _, pr := range products {
		h.Products = append(h.Products, string(pr))
	}
	if pe, ok := item.GetErrorOk(); ok && pe != nil && pe.ErrorCode != "" {
		h.Status.ErrorCode = pe.ErrorCode
		h.Status.ErrorMessage = pe.ErrorMessage
	}
	if t, ok := item.GetConsentExpirationTimeOk(); ok && t != nil {
		h.Status.ConsentExpiration = t.Unix()
	}
	if st, ok := resp.GetStatusOk(); ok && st != nil {
		if tr, ok := st.GetTransactionsOk(); ok && tr != nil {
			if t, ok := tr.GetLastSuccessfulUpdateOk(); ok && t != nil {
				h.Status.LastSuccessfulUpdate = t.Unix()
			}
			if t, ok := tr.GetLastFailedUpdateOk(); ok && t != nil {
				h.Status.LastFailedUpdate = t.Unix()
			}
		}
	}
	return h, nil
}

// institutionCountries are the country codes plaid-go v42 knows. The
// plugin does not know an institution's country before it asks, so it asks
// with all of them: Plaid finds the institution by any country it serves.
var institutionCountries = []plaid.CountryCode{
	plaid.COUNTRYCODE_US, plaid.COUNTRYCODE_GB, plaid.COUNTRYCODE_ES, plaid.COUNTRYCODE_NL,
	plaid.COUNTRYCODE_FR, plaid.COUNTRYCODE_IE, plaid.COUNTRYCODE_CA, plaid.COUNTRYCODE_DE,
	plaid.COUNTRYCODE_IT, plaid.COUNTRYCODE_PL, plaid.COUNTRYCODE_DK, plaid.COUNTRYCODE_NO,
	plaid.COUNTRYCODE_SE, plaid.COUNTRYCODE_EE, plaid.COUNTRYCODE_LT, plaid.COUNTRYCODE_LV,
	plaid.COUNTRYCODE_PT, plaid.COUNTRYCODE_BE, plaid.COUNTRYCODE_AT, plaid.COUNTRYCODE_FI,
}

func (a *api) institutionName(ctx context.Context, institutionID string) (string, error) {
	req := plaid.NewInstitutionsGetByIdRequest(institutionID, institutionCountries)
	resp, httpResp, err := a.client.PlaidApi.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(*req).Execute()
	if err != nil {
		return "", plaidapi.FromPlaidGo(err, httpResp)
	}
	return resp.Institution.Name, nil
}

// accountBalance is one account with its balances as Plaid reports them.
type accountBalance struct {
	AccountID string
	Info      ledger.Account
	Current   *float64
	Available *float64
	Limit     *float64
	UpdatedAt time.Time
}

// capitalOne is the institution whose non-depository accounts need
// options.min_last_updated_datetime on /accounts/balance/get.
const capitalOne = "ins_128026"

// capitalOneBalanceAge is how old a Capital One balance may be: Capital One
// refreshes non-depository balances about once a day, so a day accepts the
// balance it has, and a balance older than that fails the call visibly.
const capitalOneBalanceAge = 24 * time.Hour

// balanceRequest is what a balance poll needs to know about the item.
type balanceRequest struct {
	realtime      bool
	institutionID string
	accounts      map[string]ledger.Account // known so far; may be empty
	now           time.Time
}

// needsMinLastUpdated is Plaid's rule for Capital One: a realtime balance
// request for an item with a non-depository account must say how old a
// balance may be. Before the accounts are known the option is sent, since
// it is harmless for depository accounts.
func (r balanceRequest) needsMinLastUpdated() bool {
	if !r.realtime || r.institutionID != capitalOne {
		return false
	}
	if len(r.accounts) == 0 {
		return true
	}
	for _, acct := range r.accounts {
		if acct.Type != string(plaid.ACCOUNTTYPE_DEPOSITORY) {
			return true
		}
	}
	return false
}

// balances reads balances: cached (/accounts/get, free) or realtime
// (/accounts/balance/get, billed per call).
func (a *api) balances(ctx context.Context, accessToken string, br balanceRequest) ([]accountBalance, error) {
	var (
		accounts []plaid.AccountBase
		httpResp *http.Response
		err      error
	)
	if br.realtime {
		var resp plaid.AccountsGetResponse
		req := plaid.NewAccountsBalanceGetRequest(accessToken)
		if br.needsMinLastUpdated() {
			opts := plaid.NewAccountsBalanceGetRequestOptions()
			opts.SetMinLastUpdatedDatetime(br.now.Add(-capitalOneBalanceAge).UTC())
			req.SetOptions(*opts)
		}
		resp, httpResp, err = a.client.PlaidApi.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*req).Execute()
		accounts = resp.Accounts
	} else {
		var resp plaid.AccountsGetResponse
		resp, httpResp, err = a.client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(accessToken)).Execute()
		accounts = resp.Accounts
	}
	if err != nil {
		return nil, plaidapi.FromPlaidGo(err, httpResp)
	}
	out := make([]accountBalance, 0, len(accounts))
	for _, acct := range accounts {
		b := acct.Balances
		currency := b.GetIsoCurrencyCode()
		if currency == "" {
			currency = b.GetUnofficialCurrencyCode()
		}
		ab := accountBalance{
			AccountID: acct.AccountId,
			Info: ledger.Account{
				Name:     acct.Name,
				Mask:     acct.GetMask(),
				Type:     string(acct.Type),
				Subtype:  string(acct.GetSubtype()),
				Currency: currency,
			},
		}
		if v, ok := b.GetCurrentOk(); ok && v != nil {
			ab.Current = v
		}
		if v, ok := b.GetAvailableOk(); ok && v != nil {
			ab.Available = v
		}
		if v, ok := b.GetLimitOk(); ok && v != nil {
			ab.Limit = v
		}
		if t, ok := b.GetLastUpdatedDatetimeOk(); ok && t != nil {
			ab.UpdatedAt = *t
		}
		out = append(out, ab)
	}
	return out, nil
}
