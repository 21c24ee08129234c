package plaid

import (
	"context"
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// testClient does through plaid-go what a user does with linktool.
type testClient struct {
	t   *testing.T
	h   *harness
	api *plaid.APIClient
}

func newTestClient(t *testing.T, h *harness) *testClient {
	return &testClient{t: t, h: h, api: plaidapi.NewClient(plaidapi.Options{ClientID: h.clientID(), Secret: h.secret(), BaseURL: h.url})}
}

func (c *testClient) resetLogin(accessToken string) {
	c.t.Helper()
	_, resp, err := c.api.PlaidApi.SandboxItemResetLogin(context.Background()).
		SandboxItemResetLoginRequest(*plaid.NewSandboxItemResetLoginRequest(accessToken)).Execute()
	require.NoError(c.t, plaidapi.FromPlaidGo(err, resp))
}

// repairLogin runs Link in update mode and logs in, as linktool --update does.
func (c *testClient) repairLogin(item plaidemu.ItemInfo) {
	c.t.Helper()
	req := plaid.NewLinkTokenCreateRequest("telegraf-plaid", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US})
	req.SetUser(*plaid.NewLinkTokenCreateRequestUser("test-user"))
	req.SetAccessToken(item.AccessToken)
	created, resp, err := c.api.PlaidApi.LinkTokenCreate(context.Background()).LinkTokenCreateRequest(*req).Execute()
	require.NoError(c.t, plaidapi.FromPlaidGo(err, resp))
	_, err = c.h.emu.CompleteLink(created.LinkToken, item.InstitutionID, "user_good", "pass_good")
	require.NoError(c.t, err)
}

// link links a new sandbox item and returns its access token.
func (c *testClient) link(institutionID string) string {
	c.t.Helper()
	ctx := context.Background()
	req := plaid.NewSandboxPublicTokenCreateRequest(institutionID, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	created, resp, err := c.api.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(*req).Execute()
	require.NoError(c.t, plaidapi.FromPlaidGo(err, resp))
	exchanged, resp, err := c.api.PlaidApi.ItemPublicTokenExchange(ctx).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(created.PublicToken)).Execute()
	require.NoError(c.t, plaidapi.FromPlaidGo(err, resp))
	return exchanged.AccessToken
}
