package plaidemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestPlaidErrors drives every error path a client can reach through the
// real plaid-go client and checks Plaid's error code, type and status.
func TestPlaidErrors(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 3, HistoryDays: 30})
	items := emu.Items()
	token := items[0].AccessToken
	otherToken := items[1].AccessToken

	// An item that gets removed, for ITEM_NOT_FOUND.
	ctx := testContext(t)
	removed := sandboxItem(t, client, "ins_109508")
	_, _, err := client.PlaidApi.ItemRemove(ctx).ItemRemoveRequest(*plaid.NewItemRemoveRequest(removed)).Execute()
	require.NoError(t, err)

	// A settled cursor of another item.
	otherLedger := newLedger()
	syncItem(t, client, otherToken, 500, otherLedger, nil)

	syncWith := func(c *plaid.APIClient, tok string, mutate func(*plaid.TransactionsSyncRequest)) (*http.Response, error) {
		req := plaid.NewTransactionsSyncRequest(tok)
		if mutate != nil {
			mutate(req)
		}
		_, resp, err := c.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
		return resp, err
	}
	wrongKeys := newClient(emu.URL(), testClientID, "not-the-secret")
	noKeys := newClient(emu.URL(), "", "")

	tests := []struct {
		name    string
		call    func() (*http.Response, error)
		status  int
		errType string
		code    string
	}{
		{"wrong secret", func() (*http.Response, error) { return syncWith(wrongKeys, token, nil) },
			400, "INVALID_INPUT", "INVALID_API_KEYS"},
		{"wrong client id", func() (*http.Response, error) {
			return syncWith(newClient(emu.URL(), "someone_else", testSecret), token, nil)
		}, 400, "INVALID_INPUT", "INVALID_API_KEYS"},
		{"no keys at all", func() (*http.Response, error) { return syncWith(noKeys, token, nil) },
			400, "INVALID_INPUT", "INVALID_API_KEYS"},
		{"wrong keys in the body", func() (*http.Response, error) {
			return syncWith(noKeys, token, func(r *plaid.TransactionsSyncRequest) {
				r.SetClientId(testClientID)
				r.SetSecret("wrong")
			})
		}, 400, "INVALID_INPUT", "INVALID_API_KEYS"},
		{"unknown access token", func() (*http.Response, error) {
			return syncWith(client, "access-sandbox-00000000-0000-4000-8000-000000000000", nil)
		}, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN"},
		{"malformed access token", func() (*http.Response, error) { return syncWith(client, "not a token", nil) },
			400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN"},
		{"missing access token", func() (*http.Response, error) { return syncWith(client, "", nil) },
			400, "INVALID_REQUEST", "MISSING_FIELDS"},
		{"removed item", func() (*http.Response, error) { return syncWith(client, removed, nil) },
			400, "ITEM_ERROR", "ITEM_NOT_FOUND"},
		{"removed item on /item/get", func() (*http.Response, error) {
			_, resp, err := client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(removed)).Execute()
			return resp, err
		}, 400, "ITEM_ERROR", "ITEM_NOT_FOUND"},
		{"count 0", func() (*http.Response, error) {
			return syncWith(client, token, func(r *plaid.TransactionsSyncRequest) { r.SetCount(0) })
		}, 400, "INVALID_REQUEST", "INVALID_FIELD"},
		{"count 501", func() (*http.Response, error) {
			return syncWith(client, token, func(r *plaid.TransactionsSyncRequest) { r.SetCount(501) })
		}, 400, "INVALID_REQUEST", "INVALID_FIELD"},
		{"days_requested 731", func() (*http.Response, error) {
			return syncWith(client, token, func(r *plaid.TransactionsSyncRequest) {
				o := plaid.NewTransactionsSyncRequestOptions()
				o.SetDaysRequested(731)
				r.SetOptions(*o)
			})
		}, 400, "INVALID_REQUEST", "INVALID_FIELD"},
		{"unknown account_id option", func() (*http.Response, error) {
			return syncWith(client, token, func(r *plaid.TransactionsSyncRequest) {
				o := plaid.NewTransactionsSyncRequestOptions()
				o.SetAccountId("nope")
				r.SetOptions(*o)
			})
		}, 400, "INVALID_REQUEST", "INVALID_FIELD"},
		{"garbage cursor", func() (*http.Response, error) {
			return syncWith(client, token, func(r *plaid.TransactionsSyncRequest) { r.SetCursor("garbage!") })
		}, 400, "INVALID_REQUEST", "INVALID_FIELD"},
		{"tampered cursor", func() (*http.Response, error) {
			c := []byte(otherLedger.cursor)
			c[len(c)/2] ^= 1
			return syncWith(client, otherToken, func(r *plaid.TransactionsSyncRequest) { r.SetCursor(string(c)) })
		}, 400, "INVALID_REQUEST", "INVALID_FIELD"},
		{"another item's cursor", func() (*http.Response, error) {
			return syncWith(client, token, func(r *plaid.TransactionsSyncRequest) { r.SetCursor(otherLedger.cursor) })
		}, 400, "INVALID_REQUEST", "INVALID_FIELD"},
		{"transactions/get without dates", func() (*http.Response, error) {
			_, resp, err := client.PlaidApi.TransactionsGet(ctx).TransactionsGetRequest(*plaid.NewTransactionsGetRequest(token, "", "")).Execute()
			return resp, err
		}, 400, "INVALID_REQUEST", "MISSING_FIELDS"},
		{"transactions/get with a bad date", func() (*http.Response, error) {
			_, resp, err := client.PlaidApi.TransactionsGet(ctx).TransactionsGetRequest(*plaid.NewTransactionsGetRequest(token, "2026-02-30", "2026-03-01")).Execute()
			return resp, err
		}, 400, "INVALID_REQUEST", "INVALID_FIELD"},
		{"transactions/get with end before start", func() (*http.Response, error) {
			_, resp, err := client.PlaidApi.TransactionsGet(ctx).TransactionsGetRequest(*plaid.NewTransactionsGetRequest(token, "2026-03-10", "2026-03-01")).Execute()
			return resp, err
		}, 400, "INVALID_REQUEST", "INVALID_FIELD"},
		{"link token without required fields", func() (*http.Response, error) {
			_, resp, err := client.PlaidApi.LinkTokenCreate(ctx).LinkTokenCreateRequest(plaid.LinkTokenCreateRequest{}).Execute()
			return resp, err
		}, 400, "INVALID_REQUEST", "MISSING_FIELDS"},
		{"unknown institution", func() (*http.Response, error) {
			_, resp, err := client.PlaidApi.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(
				*plaid.NewInstitutionsGetByIdRequest("ins_999999", []plaid.CountryCode{plaid.COUNTRYCODE_US})).Execute()
			return resp, err
		}, 400, "INVALID_INPUT", "INVALID_INSTITUTION"},
		{"unknown public token", func() (*http.Response, error) {
			_, resp, err := client.PlaidApi.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(
				*plaid.NewItemPublicTokenExchangeRequest("public-sandbox-00000000-0000-4000-8000-000000000000")).Execute()
			return resp, err
		}, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN"},
		{"no investment accounts", func() (*http.Response, error) {
			_, resp, err := client.PlaidApi.InvestmentsHoldingsGet(ctx).InvestmentsHoldingsGetRequest(*plaid.NewInvestmentsHoldingsGetRequest(token)).Execute()
			return resp, err
		}, 400, "ITEM_ERROR", "NO_INVESTMENT_ACCOUNTS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.call()
			requirePlaidError(t, err, resp, tc.status, tc.errType, tc.code)
		})
	}

	t.Run("keys in the body are accepted", func(t *testing.T) {
		resp, err := syncWith(noKeys, token, func(r *plaid.TransactionsSyncRequest) {
			r.SetClientId(testClientID)
			r.SetSecret(testSecret)
		})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
	})

	t.Run("messages never show the secret or tokens", func(t *testing.T) {
		resp, err := syncWith(wrongKeys, "access-sandbox-11111111-2222-4333-8444-555555555555", nil)
		pe := requirePlaidError(t, err, resp, 400, "INVALID_INPUT", "INVALID_API_KEYS")
		require.NotContains(t, pe.ErrorMessage, "not-the-secret")
		resp, err = syncWith(client, "access-sandbox-11111111-2222-4333-8444-555555555555", nil)
		pe = requirePlaidError(t, err, resp, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN")
		require.NotContains(t, pe.ErrorMessage, "11111111-2222")
	})
}

// TestRawHTTPErrors covers what plaid-go cannot send: broken JSON, other
// methods, unknown paths and doubled slashes. Every answer is Plaid's JSON
// error object, never an HTML page.
func TestRawHTTPErrors(t *testing.T) {
	emu, _ := startEmulator(t, plaidemu.Config{Seed: 3, HistoryDays: 40})
	token := emu.Items()[0].AccessToken
	malformed, err := os.ReadFile(filepath.Join("testdata", "malformed.json"))
	require.NoError(t, err)

	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		status  int
		errCode string
	}{
		{"malformed JSON", http.MethodPost, "/transactions/sync", string(malformed), 400, "INVALID_BODY"},
		{"empty body", http.MethodPost, "/item/get", "", 400, "INVALID_BODY"},
		{"JSON array body", http.MethodPost, "/item/get", `[1,2]`, 400, "INVALID_BODY"},
		{"JSON null body", http.MethodPost, "/item/get", `null`, 400, "INVALID_BODY"},
		{"count of the wrong type", http.MethodPost, "/transactions/sync",
			`{"access_token":"` + token + `","count":"ten"}`, 400, "INVALID_FIELD"},
		{"options of the wrong type", http.MethodPost, "/transactions/sync",
			`{"access_token":"` + token + `","options":[]}`, 400, "INVALID_FIELD"},
		{"access token of the wrong type", http.MethodPost, "/item/get", `{"access_token":42}`, 400, "INVALID_FIELD"},
		{"GET on a Plaid endpoint", http.MethodGet, "/transactions/sync", "", 405, "METHOD_NOT_ALLOWED"},
		{"unknown path", http.MethodPost, "/transactions/teleport", `{}`, 404, "NOT_FOUND"},
		{"root path", http.MethodGet, "/", "", 404, "NOT_FOUND"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, header := rawCall(t, emu.URL(), tc.method, tc.path, tc.body, true)
			require.Equal(t, tc.status, status)
			require.Equal(t, "application/json", mediaType(header.Get("Content-Type")))
			requireErrorShape(t, body, tc.errCode)
		})
	}

	t.Run("ampersands are sent as they are", func(t *testing.T) {
		status, body, _ := rawCall(t, emu.URL(), http.MethodPost, "/transactions/sync",
			`{"access_token":"`+token+`","count":500}`, true)
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, string(body), `"Pacific Gas & Electric"`, "the monthly utility bill is in 40 days of history")
	})

	t.Run("doubled slashes are accepted", func(t *testing.T) {
		status, body, _ := rawCall(t, emu.URL(), http.MethodPost, "//transactions/sync",
			`{"access_token":"`+token+`","count":5}`, true)
		require.Equal(t, http.StatusOK, status, string(body))
		var page struct {
			Added []json.RawMessage `json:"added"`
		}
		require.NoError(t, json.Unmarshal(body, &page))
		require.Len(t, page.Added, 5)
	})
}

// TestOddBodiesNeverBreakTheServer sends unusual but valid JSON to every
// Plaid endpoint: each answer must be Plaid's JSON (success or error), and
// the emulator keeps serving.
func TestOddBodiesNeverBreakTheServer(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 3, HistoryDays: 10})
	token := emu.Items()[0].AccessToken
	endpoints := []string{"/link/token/create", "/link/token/get", "/item/public_token/exchange", "/item/get",
		"/item/remove", "/accounts/get", "/accounts/balance/get", "/transactions/sync", "/transactions/get",
		"/transactions/refresh", "/institutions/get_by_id", "/sandbox/public_token/create",
		"/sandbox/item/reset_login", "/sandbox/transactions/create", "/investments/holdings/get", "/liabilities/get",
		"/investments/transactions/get"}
	bodies := []string{
		`{}`,
		`{"access_token":""}`,
		`{"access_token":"access-sandbox-x","options":{}}`,
		`{"access_token":"` + token + `","options":{"account_ids":[]}}`,
		`{"access_token":"` + token + `","transactions":[{}]}`,
		`{"access_token":"` + token + `","transactions":null}`,
		`{"institution_id":"ins_3","initial_products":["transactions"],"options":{"transactions":{"days_requested":0}}}`,
		`{"client_name":"` + strings.Repeat("x", 40) + `","language":"en","country_codes":["US"],"user":{"client_user_id":"u"},"products":["transactions"]}`,
		`{"link_token":"link-sandbox-nope"}`,
		`{"public_token":"public-sandbox-nope"}`,
		`{"access_token":"` + token + `","start_date":"2026-01-01","end_date":"2026-03-01","options":{"count":-1}}`,
		`{"access_token":"` + token + `","cursor":"","count":1e3}`,
		`{"unknown":{"deeply":[{"nested":true}]}}`,
	}
	for _, ep := range endpoints {
		for _, b := range bodies {
			if ep == "/item/remove" || ep == "/sandbox/item/reset_login" {
				continue // would change the item the other calls use
			}
			status, body, header := rawCall(t, emu.URL(), http.MethodPost, ep, b, true)
			require.Equal(t, "application/json", mediaType(header.Get("Content-Type")), "%s %s", ep, b)
			require.True(t, json.Valid(body), "%s %s: %s", ep, b, body)
			require.NotEqual(t, http.StatusInternalServerError, status, "%s %s: %s", ep, b, body)
			if status != http.StatusOK {
				var e struct {
					ErrorCode string `json:"error_code"`
				}
				require.NoError(t, json.Unmarshal(body, &e))
				require.NotEmpty(t, e.ErrorCode, "%s %s: %s", ep, b, body)
			}
		}
	}
	_, _, err := client.PlaidApi.ItemGet(context.Background()).ItemGetRequest(*plaid.NewItemGetRequest(token)).Execute()
	require.NoError(t, err)
}

// rawCall sends one request with net/http, with the API keys in headers
// when auth is set.
func rawCall(t testing.TB, baseURL, method, path, body string, auth bool) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, baseURL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if auth {
		req.Header.Set("PLAID-CLIENT-ID", testClientID)
		req.Header.Set("PLAID-SECRET", testSecret)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out, resp.Header
}

// requireErrorShape checks that body is Plaid's complete error object.
func requireErrorShape(t testing.TB, body []byte, code string) {
	t.Helper()
	var fields map[string]json.RawMessage
	require.NoError(t, json.NewDecoder(bytes.NewReader(body)).Decode(&fields), string(body))
	for _, k := range []string{"error_type", "error_code", "error_code_reason", "error_message", "display_message",
		"request_id", "causes", "status", "documentation_url", "suggested_action"} {
		require.Contains(t, fields, k, "error object lacks %s: %s", k, body)
	}
	var e struct {
		ErrorCode string `json:"error_code"`
		RequestID string `json:"request_id"`
	}
	require.NoError(t, json.Unmarshal(body, &e))
	require.Equal(t, code, e.ErrorCode)
	require.NotEmpty(t, e.RequestID)
}
