package plaidemu_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestStrictRequestValidation: every endpoint refuses what Plaid refuses —
// fields it does not know (UNKNOWN_FIELDS), values of the wrong type or out
// of range (INVALID_FIELD) — with Plaid's error object.
func TestStrictRequestValidation(t *testing.T) {
	emu, _ := startEmulator(t, plaidemu.Config{Seed: 3, HistoryDays: 30})
	tok := emu.Items()[0].AccessToken
	at := `"access_token":"` + tok + `"`
	// A valid body per endpoint, to which each case adds one wrong field.
	valid := map[string]string{
		"/link/token/create":            `{"client_name":"App","language":"en","country_codes":["US"],"user":{"client_user_id":"u1"},"products":["transactions"]`,
		"/link/token/get":               `{"link_token":"link-sandbox-00000000-0000-4000-8000-000000000000"`,
		"/item/public_token/exchange":   `{"public_token":"public-sandbox-00000000-0000-4000-8000-000000000000"`,
		"/item/get":                     `{` + at,
		"/item/remove":                  `{` + at,
		"/accounts/get":                 `{` + at,
		"/accounts/balance/get":         `{` + at,
		"/transactions/sync":            `{` + at,
		"/transactions/get":             `{` + at + `,"start_date":"2026-03-01","end_date":"2026-03-10"`,
		"/transactions/refresh":         `{` + at,
		"/institutions/get_by_id":       `{"institution_id":"ins_3","country_codes":["US"]`,
		"/sandbox/public_token/create":  `{"institution_id":"ins_109508","initial_products":["transactions"]`,
		"/sandbox/item/reset_login":     `{` + at,
		"/sandbox/transactions/create":  `{` + at + `,"transactions":[{"date_transacted":"2026-03-13","date_posted":"2026-03-13","amount":1.5,"description":"x"}]`,
		"/investments/holdings/get":     `{` + at,
		"/liabilities/get":              `{` + at,
		"/investments/transactions/get": `{` + at + `,"start_date":"2026-03-01","end_date":"2026-03-10"`,
	}
	for path, body := range valid {
		t.Run("unknown field on "+path, func(t *testing.T) {
			status, out, _ := rawCall(t, emu.URL(), http.MethodPost, path, body+`,"colour":"blue"}`, true)
			require.Equal(t, http.StatusBadRequest, status, string(out))
			requireErrorShape(t, out, "UNKNOWN_FIELDS")
			var e struct {
				Type    string `json:"error_type"`
				Message string `json:"error_message"`
			}
			require.NoError(t, json.Unmarshal(out, &e))
			require.Equal(t, "INVALID_REQUEST", e.Type)
			require.Contains(t, e.Message, "colour")
		})
	}

	cases := []struct {
		name, path, body, code, inMessage string
	}{
		{"unknown option", "/transactions/sync", `{` + at + `,"options":{"days_requested":30,"include_pending":true}}`, "UNKNOWN_FIELDS", "options.include_pending"},
		{"unknown field in a nested object", "/link/token/create",
			`{"client_name":"App","language":"en","country_codes":["US"],"user":{"client_user_id":"u1","nickname":"x"}}`, "UNKNOWN_FIELDS", "user.nickname"},
		{"count 0", "/transactions/sync", `{` + at + `,"count":0}`, "INVALID_FIELD", "count"},
		{"count 501", "/transactions/sync", `{` + at + `,"count":501}`, "INVALID_FIELD", "between 1 and 500"},
		{"count 2.5", "/transactions/sync", `{` + at + `,"count":2.5}`, "INVALID_FIELD", "integer"},
		{"count as a string", "/transactions/sync", `{` + at + `,"count":"10"}`, "INVALID_FIELD", "count"},
		{"days_requested 0", "/transactions/sync", `{` + at + `,"options":{"days_requested":0}}`, "INVALID_FIELD", "options.days_requested"},
		{"days_requested 731", "/transactions/sync", `{` + at + `,"options":{"days_requested":731}}`, "INVALID_FIELD", "between 1 and 730"},
		{"pfc version v3", "/transactions/sync", `{` + at + `,"options":{"personal_finance_category_version":"v3"}}`, "INVALID_FIELD", "v1, v2"},
		{"options null", "/transactions/sync", `{` + at + `,"options":null}`, "INVALID_FIELD", "options"},
		{"cursor as a number", "/transactions/sync", `{` + at + `,"cursor":7}`, "INVALID_FIELD", "cursor"},
		{"get count 501", "/transactions/get", `{` + at + `,"start_date":"2026-03-01","end_date":"2026-03-10","options":{"count":501}}`, "INVALID_FIELD", "options.count"},
		{"get offset -1", "/transactions/get", `{` + at + `,"start_date":"2026-03-01","end_date":"2026-03-10","options":{"offset":-1}}`, "INVALID_FIELD", "options.offset"},
		{"get bad date", "/transactions/get", `{` + at + `,"start_date":"2026-3-1","end_date":"2026-03-10"}`, "INVALID_FIELD", "start_date"},
		{"link days_requested 731", "/link/token/create",
			`{"client_name":"App","language":"en","country_codes":["US"],"user":{"client_user_id":"u1"},"products":["transactions"],"transactions":{"days_requested":731}}`, "INVALID_FIELD", "transactions.days_requested"},
		{"unknown country code", "/link/token/create",
			`{"client_name":"App","language":"en","country_codes":["XX"],"user":{"client_user_id":"u1"},"products":["transactions"]}`, "INVALID_FIELD", "country_codes[0]"},
		{"unknown product", "/sandbox/public_token/create", `{"institution_id":"ins_109508","initial_products":["teleport"]}`, "INVALID_FIELD", "initial_products[0]"},
		{"balance min_last_updated_datetime not a date-time", "/accounts/balance/get",
			`{` + at + `,"options":{"min_last_updated_datetime":"yesterday"}}`, "INVALID_FIELD", "options.min_last_updated_datetime"},
		{"account_ids not an array", "/accounts/get", `{` + at + `,"options":{"account_ids":"a"}}`, "INVALID_FIELD", "options.account_ids"},
		{"remove reason not known", "/item/remove", `{` + at + `,"reason_code":"BORED"}`, "INVALID_FIELD", "reason_code"},
		{"institution country code not known", "/institutions/get_by_id", `{"institution_id":"ins_3","country_codes":["ZZ"]}`, "INVALID_FIELD", "country_codes[0]"},
		{"required field missing", "/institutions/get_by_id", `{"institution_id":"ins_3"}`, "MISSING_FIELDS", "country_codes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := rawCall(t, emu.URL(), http.MethodPost, tc.path, tc.body, true)
			require.Equal(t, http.StatusBadRequest, status, string(out))
			requireErrorShape(t, out, tc.code)
			var e struct {
				Type    string `json:"error_type"`
				Message string `json:"error_message"`
			}
			require.NoError(t, json.Unmarshal(out, &e))
			require.Equal(t, "INVALID_REQUEST", e.Type)
			require.Contains(t, e.Message, tc.inMessage)
			t.Logf("%s: %s", tc.code, e.Message)
		})
	}
}

// TestPlaidGoRequestsPassValidation: requests as plaid-go v42 builds them,
// with its option defaults (e.g. days_requested 90 in sync options), are
// accepted.
func TestPlaidGoRequestsPassValidation(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 3, HistoryDays: 30})
	tok := emu.Items()[0].AccessToken
	ctx := testContext(t)

	syncReq := plaid.NewTransactionsSyncRequest(tok)
	o := plaid.NewTransactionsSyncRequestOptions()
	o.SetIncludeOriginalDescription(true)
	o.SetPersonalFinanceCategoryVersion(plaid.PERSONALFINANCECATEGORYVERSION_V2)
	syncReq.SetOptions(*o)
	_, _, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*syncReq).Execute()
	require.NoError(t, err)

	getReq := plaid.NewTransactionsGetRequest(tok, "2026-03-01", "2026-03-10")
	getReq.SetOptions(*plaid.NewTransactionsGetRequestOptions())
	_, _, err = client.PlaidApi.TransactionsGet(ctx).TransactionsGetRequest(*getReq).Execute()
	require.NoError(t, err)

	lt := plaid.NewLinkTokenCreateRequest("telegraf-plaid", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US})
	lt.SetUser(*plaid.NewLinkTokenCreateRequestUser("user-1"))
	lt.SetProducts([]plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	tx := plaid.NewLinkTokenTransactions()
	tx.SetDaysRequested(730)
	lt.SetTransactions(*tx)
	lt.SetHostedLink(*plaid.NewLinkTokenCreateHostedLink())
	_, _, err = client.PlaidApi.LinkTokenCreate(ctx).LinkTokenCreateRequest(*lt).Execute()
	require.NoError(t, err)

	sp := plaid.NewSandboxPublicTokenCreateRequest("ins_109508", []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	so := plaid.NewSandboxPublicTokenCreateRequestOptions()
	so.SetOverrideUsername("user_good")
	st := plaid.NewSandboxPublicTokenCreateRequestOptionsTransactions()
	st.SetDaysRequested(30)
	so.SetTransactions(*st)
	sp.SetOptions(*so)
	_, _, err = client.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(*sp).Execute()
	require.NoError(t, err)

	bal := plaid.NewAccountsBalanceGetRequest(tok)
	bo := plaid.NewAccountsBalanceGetRequestOptions()
	bo.SetAccountIds([]string{emu.GroundTruth().Items[0].Accounts[0].AccountID})
	bal.SetOptions(*bo)
	_, _, err = client.PlaidApi.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*bal).Execute()
	require.NoError(t, err)

	inst := plaid.NewInstitutionsGetByIdRequest("ins_3", []plaid.CountryCode{plaid.COUNTRYCODE_US})
	io := plaid.NewInstitutionsGetByIdRequestOptions()
	io.SetIncludeOptionalMetadata(true)
	inst.SetOptions(*io)
	_, _, err = client.PlaidApi.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(*inst).Execute()
	require.NoError(t, err)
}
