package plaidemu_test

import (
	"slices"
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func productList(names ...string) []plaid.Products {
	out := make([]plaid.Products, len(names))
	for i, n := range names {
		out[i] = plaid.Products(n)
	}
	return out
}

// productLink creates a link token asking for products in Plaid's three
// roles and completes it at institution.
func productLink(t *testing.T, emu *plaidemu.Emulator, client *plaid.APIClient, institution string, required, ifSupported, optional []string) (string, error) {
	t.Helper()
	req := plaid.NewLinkTokenCreateRequest("telegraf-plaid", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US})
	req.SetUser(*plaid.NewLinkTokenCreateRequestUser("user-1"))
	req.SetProducts(productList(required...))
	if ifSupported != nil {
		req.SetRequiredIfSupportedProducts(productList(ifSupported...))
	}
	if optional != nil {
		req.SetOptionalProducts(productList(optional...))
	}
	lt, _, err := client.PlaidApi.LinkTokenCreate(testContext(t)).LinkTokenCreateRequest(*req).Execute()
	require.NoError(t, err)
	pt, err := emu.CompleteLink(lt.GetLinkToken(), institution, "user_good", plaidemu.GoodPassword)
	if err != nil {
		return "", err
	}
	ex := exchange(t, client, pt)
	return ex.GetAccessToken(), nil
}

func itemProducts(t *testing.T, client *plaid.APIClient, token string) (products, billed, available []string) {
	t.Helper()
	resp, _, err := client.PlaidApi.ItemGet(testContext(t)).ItemGetRequest(*plaid.NewItemGetRequest(token)).Execute()
	require.NoError(t, err)
	it := resp.GetItem()
	names := func(ps []plaid.Products) []string {
		out := []string{}
		for _, p := range ps {
			out = append(out, string(p))
		}
		slices.Sort(out)
		return out
	}
	return names(it.GetProducts()), names(it.BilledProducts), names(it.AvailableProducts)
}

// An item linked through Link has the products Link was asked for, as far
// as the institution supports them; endpoints of the others answer
// Plaid's errors.
func TestLinkProducts(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Items: -1, HistoryDays: 60, Today: emulatedNow(0)})

	t.Run("a consented product without an account to serve is not added", func(t *testing.T) {
		// The first item of a seed holds a checking, a savings and a card
		// account: no investment account.
		token, err := productLink(t, emu, client, "ins_109508", []string{"transactions"}, []string{"investments"}, nil)
		require.NoError(t, err)
		products, _, available := itemProducts(t, client, token)
		require.Equal(t, []string{"transactions"}, products)
		require.Contains(t, available, "investments")
		_, resp, err := client.PlaidApi.InvestmentsHoldingsGet(testContext(t)).InvestmentsHoldingsGetRequest(
			*plaid.NewInvestmentsHoldingsGetRequest(token)).Execute()
		requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "NO_INVESTMENT_ACCOUNTS")
		products, _, _ = itemProducts(t, client, token)
		require.Equal(t, []string{"transactions"}, products, "a product with no account to serve is not added")
		// The card is served by Liabilities, which was not asked for.
		_, resp, err = client.PlaidApi.LiabilitiesGet(testContext(t)).LiabilitiesGetRequest(*plaid.NewLiabilitiesGetRequest(token)).Execute()
		pe := requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "ADDITIONAL_CONSENT_REQUIRED")
		require.Contains(t, pe.ErrorMessage, "PRODUCT_LIABILITIES")
	})

	t.Run("required products are billed, the institution's others are available", func(t *testing.T) {
		token, err := productLink(t, emu, client, "ins_109508", []string{"transactions", "investments"}, nil, nil)
		require.NoError(t, err)
		products, billed, available := itemProducts(t, client, token)
		require.Equal(t, []string{"investments", "transactions"}, products)
		require.Equal(t, products, billed)
		require.Equal(t, []string{"assets", "auth", "balance", "identity", "liabilities"}, available)
		h, _, err := client.PlaidApi.InvestmentsHoldingsGet(testContext(t)).InvestmentsHoldingsGetRequest(
			*plaid.NewInvestmentsHoldingsGetRequest(token)).Execute()
		require.NoError(t, err, "Link made the person pick an investment account")
		require.NotEmpty(t, h.GetHoldings())
	})

	t.Run("required-if-supported and optional products only where supported", func(t *testing.T) {
		// Capital One supports Liabilities but not Investments.
		token, err := productLink(t, emu, client, "ins_128026", []string{"transactions"}, []string{"investments"}, []string{"liabilities"})
		require.NoError(t, err)
		var hasLiability bool
		for _, it := range emu.GroundTruth().Items {
			if it.ItemID != itemID(t, client, token) {
				continue
			}
			for _, a := range it.Accounts {
				hasLiability = hasLiability || a.Type == "credit" || a.Type == "loan"
			}
		}
		require.True(t, hasLiability, "the third item of a seed holds a loan")
		products, billed, available := itemProducts(t, client, token)
		require.Equal(t, []string{"liabilities", "transactions"}, products)
		require.Equal(t, products, billed)
		require.Equal(t, []string{"assets", "auth", "balance", "identity"}, available, "Capital One has no Investments")
		_, resp, err := client.PlaidApi.InvestmentsHoldingsGet(testContext(t)).InvestmentsHoldingsGetRequest(
			*plaid.NewInvestmentsHoldingsGetRequest(token)).Execute()
		requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED")
		_, resp, err = client.PlaidApi.InvestmentsTransactionsGet(testContext(t)).InvestmentsTransactionsGetRequest(
			*plaid.NewInvestmentsTransactionsGetRequest(token, "2026-01-01", "2026-02-01")).Execute()
		requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED")
		_, _, err = client.PlaidApi.LiabilitiesGet(testContext(t)).LiabilitiesGetRequest(*plaid.NewLiabilitiesGetRequest(token)).Execute()
		require.NoError(t, err)
	})

	t.Run("a required product the institution lacks fails Link", func(t *testing.T) {
		before := len(emu.Items())
		_, err := productLink(t, emu, client, "ins_128026", []string{"transactions", "investments"}, nil, nil)
		require.ErrorIs(t, err, plaidemu.ErrProductsNotSupported)
		require.Len(t, emu.Items(), before, "no item was created")

		_, resp, err := client.PlaidApi.SandboxPublicTokenCreate(testContext(t)).SandboxPublicTokenCreateRequest(
			*plaid.NewSandboxPublicTokenCreateRequest("ins_128026", productList("investments"))).Execute()
		pe := requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED")
		require.Contains(t, pe.ErrorMessage, `"investments"`)
	})

	t.Run("a product is added by its first call", func(t *testing.T) {
		// No Link consent pane is shown for a sandbox item: every product
		// its institution supports may be added.
		pt, _, err := client.PlaidApi.SandboxPublicTokenCreate(testContext(t)).SandboxPublicTokenCreateRequest(
			*plaid.NewSandboxPublicTokenCreateRequest("ins_109508", productList("auth"))).Execute()
		require.NoError(t, err)
		ex := exchange(t, client, pt.GetPublicToken())
		token := ex.GetAccessToken()
		products, _, available := itemProducts(t, client, token)
		require.Equal(t, []string{"auth"}, products)
		require.Contains(t, available, "transactions")
		_, _, err = client.PlaidApi.TransactionsSync(testContext(t)).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(token)).Execute()
		require.NoError(t, err)
		products, billed, available := itemProducts(t, client, token)
		require.Equal(t, []string{"auth", "transactions"}, products)
		require.Equal(t, products, billed)
		require.NotContains(t, available, "transactions")
	})

	t.Run("a product in two roles is refused", func(t *testing.T) {
		req := plaid.NewLinkTokenCreateRequest("telegraf-plaid", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US})
		req.SetUser(*plaid.NewLinkTokenCreateRequestUser("user-1"))
		req.SetProducts(productList("transactions"))
		req.SetOptionalProducts(productList("transactions"))
		_, resp, err := client.PlaidApi.LinkTokenCreate(testContext(t)).LinkTokenCreateRequest(*req).Execute()
		requirePlaidError(t, err, resp, 400, "INVALID_REQUEST", "INVALID_FIELD")
	})
}

func itemID(t *testing.T, client *plaid.APIClient, token string) string {
	t.Helper()
	resp, _, err := client.PlaidApi.ItemGet(testContext(t)).ItemGetRequest(*plaid.NewItemGetRequest(token)).Execute()
	require.NoError(t, err)
	return resp.GetItem().ItemId
}
