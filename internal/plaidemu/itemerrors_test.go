package plaidemu_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestItemErrorFaults: every item error Plaid documents can be put on one
// item; it answers the data calls, shows in /item/get's item.error with
// its error_code_reason, leaves other items alone, and update mode repairs
// the item.
func TestItemErrorFaults(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, Items: 2, HistoryDays: 20})
	chase, amex := emu.Items()[0], emu.Items()[1] // Chase is an OAuth institution
	ctx := testContext(t)
	codes := []string{"ITEM_LOGIN_REQUIRED", "ACCESS_NOT_GRANTED", "PASSWORD_RESET_REQUIRED", "ITEM_LOCKED",
		"USER_SETUP_REQUIRED", "INSUFFICIENT_CREDENTIALS", "NO_ACCOUNTS", "ITEM_NOT_SUPPORTED", "MFA_NOT_SUPPORTED",
		"INVALID_CREDENTIALS", "INVALID_MFA", "USER_INPUT_TIMEOUT", "INVALID_SEND_METHOD", "INVALID_UPDATED_USERNAME"}
	for _, code := range codes {
		t.Run(code, func(t *testing.T) {
			f := plaidemu.Fault{Endpoint: "/transactions/sync", Item: chase.Name, ErrorCode: code, Count: 1}
			if code == "ACCESS_NOT_GRANTED" || code == "ITEM_LOGIN_REQUIRED" {
				f.Reason = "OAUTH_USER_REVOKED"
			}
			_, err := emu.AddFault(f)
			require.NoError(t, err)
			_, httpResp, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(chase.AccessToken)).Execute()
			pe := requirePlaidError(t, err, httpResp, 400, "ITEM_ERROR", code)
			require.Equal(t, f.Reason, pe.GetErrorCodeReason())
			if code != "INVALID_SEND_METHOD" { // Plaid sends no display_message for it
				require.NotEmpty(t, pe.GetDisplayMessage())
			}

			// The item stays broken: other endpoints answer the same error.
			_, httpResp, err = client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(chase.AccessToken)).Execute()
			requirePlaidError(t, err, httpResp, 400, "ITEM_ERROR", code)
			got, _, err := client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(chase.AccessToken)).Execute()
			require.NoError(t, err)
			itemErr := got.Item.Error.Get()
			require.NotNil(t, itemErr, "item.error is set")
			require.Equal(t, code, itemErr.ErrorCode)
			require.Equal(t, plaid.PLAIDERRORTYPE_ITEM_ERROR, itemErr.ErrorType)
			require.Equal(t, f.Reason, itemErr.GetErrorCodeReason())
			_, _, err = client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(amex.AccessToken)).Execute()
			require.NoError(t, err, "another item is not affected")

			repair(t, emu, client, chase.AccessToken)
			got, _, err = client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(chase.AccessToken)).Execute()
			require.NoError(t, err)
			require.Nil(t, got.Item.Error.Get(), "update mode repaired the item")
		})
	}

	t.Run("error_code_reason is checked", func(t *testing.T) {
		_, err := emu.AddFault(plaidemu.Fault{Endpoint: "*", ErrorCode: "ITEM_LOCKED", Reason: "OAUTH_USER_REVOKED"})
		require.ErrorContains(t, err, "error_code_reason applies to")
		_, err = emu.AddFault(plaidemu.Fault{Endpoint: "*", ErrorCode: "ACCESS_NOT_GRANTED", Reason: "BORED"})
		require.ErrorContains(t, err, "unknown error_code_reason")
		sandboxItem(t, client, "ins_109508") // First Platypus Bank: no OAuth
		_, err = emu.AddFault(plaidemu.Fault{Endpoint: "*", Item: "Test Platypus", ErrorCode: "ACCESS_NOT_GRANTED", Reason: "OAUTH_INVALID_TOKEN"})
		require.ErrorContains(t, err, "OAuth items only")
	})
}

// repair runs Link's update mode for the item.
func repair(t *testing.T, emu *plaidemu.Emulator, client *plaid.APIClient, token string) {
	t.Helper()
	lt := newLinkToken(t, client, token, false, 0)
	_, err := emu.CompleteLink(lt.GetLinkToken(), "", "user_good", plaidemu.GoodPassword)
	require.NoError(t, err)
}

// TestConsentExpiry: a consent expiration set on an item shows in
// /item/get; when emulated time passes it the item answers
// ITEM_LOGIN_REQUIRED with reason OAUTH_CONSENT_EXPIRED, and update mode
// renews the consent.
func TestConsentExpiry(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, Items: 2, HistoryDays: 20})
	amex := emu.Items()[1]
	ctx := testContext(t)
	expires := emulatedNow(0).Add(36 * time.Hour).Truncate(time.Second)
	require.NoError(t, emu.SetConsentExpiration(amex.Name, expires))
	got, _, err := client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(amex.AccessToken)).Execute()
	require.NoError(t, err)
	require.Equal(t, expires, got.Item.GetConsentExpirationTime().UTC())
	require.Nil(t, got.Item.Error.Get())

	_, err = emu.Advance(1)
	require.NoError(t, err)
	_, _, err = client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(amex.AccessToken)).Execute()
	require.NoError(t, err, "consent still valid after one day")

	sum, err := emu.Advance(1)
	require.NoError(t, err)
	t.Logf("after the expiry: %+v", sum)
	_, httpResp, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(amex.AccessToken)).Execute()
	pe := requirePlaidError(t, err, httpResp, 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
	require.Equal(t, "OAUTH_CONSENT_EXPIRED", pe.GetErrorCodeReason())
	got, _, err = client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(amex.AccessToken)).Execute()
	require.NoError(t, err)
	require.Equal(t, "ITEM_LOGIN_REQUIRED", got.Item.Error.Get().ErrorCode)
	require.Equal(t, "OAUTH_CONSENT_EXPIRED", got.Item.Error.Get().GetErrorCodeReason())
	require.Equal(t, "ITEM_LOGIN_REQUIRED", itemByName(t, emu.GroundTruth(), amex.Name).Error)

	repair(t, emu, client, amex.AccessToken)
	got, _, err = client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(amex.AccessToken)).Execute()
	require.NoError(t, err)
	require.Nil(t, got.Item.Error.Get())
	require.True(t, got.Item.GetConsentExpirationTime().After(emulatedNow(300)), "update mode renewed the consent for a year")

	// The control endpoint does the same.
	resp, err := http.Post(emu.URL()+"/emulator/consent", "application/json",
		bytes.NewReader([]byte(`{"item":"`+amex.ItemID+`","consent_expiration_time":"2020-01-01T00:00:00Z"}`)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, httpResp, err = client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(amex.AccessToken)).Execute()
	requirePlaidError(t, err, httpResp, 400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
}
