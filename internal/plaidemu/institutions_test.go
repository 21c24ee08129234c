package plaidemu_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestCapitalOneBalances: Capital One items with a non-depository account
// need options.min_last_updated_datetime on /accounts/balance/get, and only
// Capital One's balances carry last_updated_datetime.
func TestCapitalOneBalances(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 4, Items: 1, HistoryDays: 30})
	ctx := testContext(t)
	tok := sandboxItem(t, client, "ins_128026")
	truth := itemByName(t, emu.GroundTruth(), "Test Capital One")
	nonDepository := false
	for _, a := range truth.Accounts {
		nonDepository = nonDepository || a.Type != "depository"
	}
	require.True(t, nonDepository, "the Capital One item holds a card or loan")

	_, httpResp, err := client.PlaidApi.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(tok)).Execute()
	pe := requirePlaidError(t, err, httpResp, 400, "INVALID_REQUEST", "INVALID_FIELD")
	require.Contains(t, pe.ErrorMessage, "min_last_updated_datetime")
	t.Logf("without the option: %s", pe.ErrorMessage)

	req := plaid.NewAccountsBalanceGetRequest(tok)
	o := plaid.NewAccountsBalanceGetRequestOptions()
	o.SetMinLastUpdatedDatetime(emulatedNow(0).Add(-time.Hour))
	req.SetOptions(*o)
	resp, _, err := client.PlaidApi.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*req).Execute()
	require.NoError(t, err)
	for _, a := range resp.GetAccounts() {
		at := a.Balances.LastUpdatedDatetime.Get()
		require.NotNil(t, at, "Capital One reports when %s was updated", a.Name)
		require.False(t, at.Before(emulatedNow(0).Add(-time.Hour)))
	}

	o.SetMinLastUpdatedDatetime(emulatedNow(0).Add(24 * time.Hour))
	req.SetOptions(*o)
	_, httpResp, err = client.PlaidApi.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*req).Execute()
	requirePlaidError(t, err, httpResp, 400, "INVALID_RESULT", "LAST_UPDATED_DATETIME_OUT_OF_RANGE")

	// Other institutions need no option and send no last_updated_datetime.
	other := emu.Items()[0].AccessToken
	resp, _, err = client.PlaidApi.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(other)).Execute()
	require.NoError(t, err)
	for _, a := range resp.GetAccounts() {
		require.Nil(t, a.Balances.LastUpdatedDatetime.Get())
	}
}

// TestInstitutionCountries: institutions outside the US hold accounts in
// their own currency; /institutions/get_by_id and Link find an institution
// only within the requested country_codes.
func TestInstitutionCountries(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 4, Items: -1, HistoryDays: 30})
	ctx := testContext(t)
	cases := []struct {
		id, country, currency string
		code                  plaid.CountryCode
	}{
		{"ins_900101", "CA", "CAD", plaid.COUNTRYCODE_CA},
		{"ins_900102", "GB", "GBP", plaid.COUNTRYCODE_GB},
		{"ins_900103", "FR", "EUR", plaid.COUNTRYCODE_FR},
		{"ins_900104", "DE", "EUR", plaid.COUNTRYCODE_DE},
	}
	for _, tc := range cases {
		t.Run(tc.country, func(t *testing.T) {
			got, _, err := client.PlaidApi.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(
				*plaid.NewInstitutionsGetByIdRequest(tc.id, []plaid.CountryCode{tc.code})).Execute()
			require.NoError(t, err)
			require.Equal(t, []plaid.CountryCode{tc.code}, got.Institution.CountryCodes)
			_, httpResp, err := client.PlaidApi.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(
				*plaid.NewInstitutionsGetByIdRequest(tc.id, []plaid.CountryCode{plaid.COUNTRYCODE_US})).Execute()
			requirePlaidError(t, err, httpResp, 400, "INVALID_INPUT", "INVALID_INSTITUTION")

			// Link within the country.
			lt := plaid.NewLinkTokenCreateRequest("telegraf-plaid", "en", []plaid.CountryCode{tc.code})
			lt.SetUser(*plaid.NewLinkTokenCreateRequestUser("user-1"))
			lt.SetProducts([]plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
			ltr, _, err := client.PlaidApi.LinkTokenCreate(ctx).LinkTokenCreateRequest(*lt).Execute()
			require.NoError(t, err)
			_, err = emu.CompleteLink(ltr.GetLinkToken(), "ins_109508", "user_good", plaidemu.GoodPassword)
			require.ErrorIs(t, err, plaidemu.ErrUnknownInstitution, "a US bank is not offered for %s", tc.country)
			pt, err := emu.CompleteLink(ltr.GetLinkToken(), tc.id, "user_good", plaidemu.GoodPassword)
			require.NoError(t, err)
			ex := exchange(t, client, pt)
			tok := ex.GetAccessToken()
			acc, _, err := client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(tok)).Execute()
			require.NoError(t, err)
			domestic := 0
			for _, a := range acc.GetAccounts() {
				if a.Balances.GetIsoCurrencyCode() == tc.currency {
					domestic++
				}
			}
			require.GreaterOrEqual(t, domestic, len(acc.GetAccounts())-1, "accounts are in %s (one may be foreign)", tc.currency)
			l := newLedger()
			syncItem(t, client, tok, 500, newLedger(), nil) // NOT_READY
			syncItem(t, client, tok, 500, l, nil)
			require.NotEmpty(t, l.txns)
			seen := map[string]bool{}
			for _, tx := range l.txns {
				seen[tx.GetIsoCurrencyCode()] = true
			}
			require.True(t, seen[tc.currency], "transactions in %s", tc.currency)
			require.False(t, seen["USD"], "no US dollars at a %s bank", tc.country)
		})
	}
	t.Run("unknown country code on link", func(t *testing.T) {
		status, out, _ := rawCall(t, emu.URL(), "POST", "/link/token/create",
			`{"client_name":"App","language":"en","country_codes":["US","XX"],"user":{"client_user_id":"u1"},"products":["transactions"]}`, true)
		require.Equal(t, 400, status)
		requireErrorShape(t, out, "INVALID_FIELD")
	})
}

// TestLinkDialogInstitutions: the dialog offers the institutions of the
// link token's countries, and a client_name over 30 characters is
// accepted and shown as "This Application", as Plaid's Link does.
func TestLinkDialogInstitutions(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 4, Items: -1, HistoryDays: 30})
	ctx := testContext(t)
	session := func(name string, codes []plaid.CountryCode) (string, []string) {
		lt := plaid.NewLinkTokenCreateRequest(name, "en", codes)
		lt.SetUser(*plaid.NewLinkTokenCreateRequestUser("user-1"))
		lt.SetProducts([]plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
		resp, _, err := client.PlaidApi.LinkTokenCreate(ctx).LinkTokenCreateRequest(*lt).Execute()
		require.NoError(t, err)
		status, body, _ := rawCall(t, emu.URL(), "GET", "/link/emulator/session?token="+resp.GetLinkToken(), "", false)
		require.Equal(t, 200, status, string(body))
		var s struct {
			ClientName   string `json:"client_name"`
			Institutions []struct {
				ID string `json:"institution_id"`
			} `json:"institutions"`
		}
		require.NoError(t, json.Unmarshal(body, &s))
		var ids []string
		for _, in := range s.Institutions {
			ids = append(ids, in.ID)
		}
		return s.ClientName, ids
	}
	name, ids := session("telegraf-plaid", []plaid.CountryCode{plaid.COUNTRYCODE_US})
	require.Equal(t, "telegraf-plaid", name)
	require.Contains(t, ids, "ins_128026")
	require.Contains(t, ids, "ins_109508")
	require.NotContains(t, ids, "ins_900102")
	name, ids = session("A client name that is far too long", []plaid.CountryCode{plaid.COUNTRYCODE_GB, plaid.COUNTRYCODE_FR})
	require.Equal(t, "This Application", name)
	require.ElementsMatch(t, []string{"ins_900102", "ins_900103"}, ids)
}
