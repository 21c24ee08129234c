package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid/plaid-go/v42/plaid"
)

// The Plaid calls linktool makes. Every error is a *plaidapi.Error wrapped
// with the endpoint's name, and never contains a token.

const (
	clientName    = "telegraf-plaid"
	daysRequested = 730 // the most history Plaid gives at link time
)

type linkToken struct {
	token      string
	hostedURL  string
	expiration time.Time
}

// createLinkToken starts a Link session: a new item, or update mode for
// accessToken when it is not empty.
func (a *app) createLinkToken(ctx context.Context, accessToken string, hosted bool) (linkToken, error) {
	countries, err := a.countryCodes()
	if err != nil {
		return linkToken{}, err
	}
	language, err := a.language()
	if err != nil {
		return linkToken{}, err
	}
	req := plaid.NewLinkTokenCreateRequest(clientName, language, countries)
	req.SetUser(*plaid.NewLinkTokenCreateRequestUser(a.clientUserID()))
	if accessToken != "" {
		req.SetAccessToken(accessToken)
		// Account selection lets the user share accounts again (NO_ACCOUNTS)
		// or add new ones, besides logging in again.
		update := plaid.NewLinkTokenCreateRequestUpdate()
		update.SetAccountSelectionEnabled(true)
		req.SetUpdate(*update)
	} else {
		lp := a.products()
		req.SetProducts(plaidProducts(lp.required))
		if len(lp.ifSupported) > 0 {
			req.SetRequiredIfSupportedProducts(plaidProducts(lp.ifSupported))
		}
		if len(lp.optional) > 0 {
			req.SetOptionalProducts(plaidProducts(lp.optional))
		}
		if slices.Contains(lp.all(), "transactions") {
			tx := plaid.NewLinkTokenTransactions()
			tx.SetDaysRequested(daysRequested)
			req.SetTransactions(*tx)
		}
	}
	if hosted {
		req.SetHostedLink(*plaid.NewLinkTokenCreateHostedLink())
	}
	resp, httpResp, err := a.client.PlaidApi.LinkTokenCreate(ctx).LinkTokenCreateRequest(*req).Execute()
	if err != nil {
		return linkToken{}, callError("/link/token/create", err, httpResp)
	}
	lt := linkToken{token: resp.GetLinkToken(), hostedURL: resp.GetHostedLinkUrl(), expiration: resp.GetExpiration()}
	if hosted && lt.hostedURL == "" {
		return linkToken{}, fmt.Errorf("/link/token/create: Plaid returned no hosted_link_url (is Hosted Link enabled for this client?)")
	}
	return lt, nil
}

func (a *app) getLinkToken(ctx context.Context, token string) (plaid.LinkTokenGetResponse, error) {
	resp, httpResp, err := a.client.PlaidApi.LinkTokenGet(ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(token)).Execute()
	if err != nil {
		return resp, callError("/link/token/get", err, httpResp)
	}
	return resp, nil
}

func (a *app) exchangePublicToken(ctx context.Context, publicToken string) (accessToken, itemID string, err error) {
	req := plaid.NewItemPublicTokenExchangeRequest(publicToken)
	resp, httpResp, err := a.client.PlaidApi.ItemPublicTokenExchange(ctx).ItemPublicTokenExchangeRequest(*req).Execute()
	if err != nil {
		return "", "", callError("/item/public_token/exchange", err, httpResp)
	}
	return resp.GetAccessToken(), resp.GetItemId(), nil
}

func (a *app) resetLogin(ctx context.Context, accessToken string) error {
	req := plaid.NewSandboxItemResetLoginRequest(accessToken)
	_, httpResp, err := a.client.PlaidApi.SandboxItemResetLogin(ctx).SandboxItemResetLoginRequest(*req).Execute()
	return callError("/sandbox/item/reset_login", err, httpResp)
}

func (a *app) removeItem(ctx context.Context, accessToken string) error {
	req := plaid.NewItemRemoveRequest(accessToken)
	_, httpResp, err := a.client.PlaidApi.ItemRemove(ctx).ItemRemoveRequest(*req).Execute()
	return callError("/item/remove", err, httpResp)
}

func (a *app) sandboxPublicToken(ctx context.Context, institution, username string) (string, error) {
	// The sandbox has no optional products: it links every product named.
	lp := a.products()
	req := plaid.NewSandboxPublicTokenCreateRequest(institution, plaidProducts(lp.all()))
	opts := plaid.NewSandboxPublicTokenCreateRequestOptions()
	opts.SetOverrideUsername(username)
	if slices.Contains(lp.all(), "transactions") {
		tx := plaid.NewSandboxPublicTokenCreateRequestOptionsTransactions()
		tx.SetDaysRequested(daysRequested)
		opts.SetTransactions(*tx)
	}
	req.SetOptions(*opts)
	resp, httpResp, err := a.client.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(*req).Execute()
	if err != nil {
		return "", callError("/sandbox/public_token/create", err, httpResp)
	}
	return resp.GetPublicToken(), nil
}

func (a *app) getItem(ctx context.Context, accessToken string) (plaid.ItemGetResponse, error) {
	resp, httpResp, err := a.client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(accessToken)).Execute()
	if err != nil {
		return resp, callError("/item/get", err, httpResp)
	}
	return resp, nil
}

func (a *app) countAccounts(ctx context.Context, accessToken string) (int, error) {
	resp, httpResp, err := a.client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(accessToken)).Execute()
	if err != nil {
		return 0, callError("/accounts/get", err, httpResp)
	}
	return len(resp.GetAccounts()), nil
}

func (a *app) institutionName(ctx context.Context, id string) (string, error) {
	countries, err := a.countryCodes()
	if err != nil {
		return "", err
	}
	req := plaid.NewInstitutionsGetByIdRequest(id, countries)
	resp, httpResp, err := a.client.PlaidApi.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(*req).Execute()
	if err != nil {
		return "", callError("/institutions/get_by_id", err, httpResp)
	}
	inst := resp.GetInstitution()
	return inst.GetName(), nil
}

// callError classifies a plaid-go failure and names the endpoint; nil
// stays nil.
func callError(endpoint string, err error, resp *http.Response) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", endpoint, plaidapi.FromPlaidGo(err, resp))
}

// plaidCode returns Plaid's error code in err, or "".
func plaidCode(err error) string {
	if pe, ok := plaidapi.AsError(err); ok {
		return pe.Code
	}
	return ""
}

// Link's defaults when neither the command line nor [PLAID] says otherwise.
const (
	defaultCountryCodes = "US"
	defaultLanguage     = "en"
)

// linkLanguages are the languages Link is displayed in.
var linkLanguages = []string{"da", "de", "en", "es", "et", "fr", "hi", "it", "lt", "lv", "nl", "no", "pl", "pt", "ro", "sv", "vi"}

// countryCodes are the countries for /link/token/create and
// /institutions/get_by_id: --country-codes, else [PLAID] country_codes,
// else US.
func (a *app) countryCodes() ([]plaid.CountryCode, error) {
	if a.opts.countryCodes != "" {
		return parseCountryCodes(a.opts.countryCodes)
	}
	v, ok, err := a.iniValue("country_codes")
	if err != nil || !ok || strings.TrimSpace(v) == "" {
		if err != nil {
			return nil, err
		}
		v = defaultCountryCodes
	}
	codes, err := parseCountryCodes(v)
	if err != nil {
		return nil, usagef("[PLAID] country_codes in %s: %v", a.opts.config, err)
	}
	return codes, nil
}

// language is Link's language: --language, else [PLAID] language, else en.
func (a *app) language() (string, error) {
	if a.opts.language != "" {
		return a.opts.language, nil
	}
	v, ok, err := a.iniValue("language")
	if err != nil {
		return "", err
	}
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return defaultLanguage, nil
	}
	if err := checkLanguage(v); err != nil {
		return "", usagef("[PLAID] language in %s: %v", a.opts.config, err)
	}
	return v, nil
}

func (a *app) iniValue(key string) (string, bool, error) {
	if a.file == nil {
		return "", false, nil
	}
	v, ok, err := a.file.Value("PLAID", key)
	if err != nil {
		return "", false, usagef("%v", err)
	}
	return v, ok, nil
}

// parseCountryCodes reads a list such as "GB, IE" (commas or spaces).
func parseCountryCodes(list string) ([]plaid.CountryCode, error) {
	var codes []plaid.CountryCode
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		c := plaid.CountryCode(strings.ToUpper(f))
		if !c.IsValid() {
			return nil, fmt.Errorf("%q is not a country Plaid serves (known: US GB ES NL FR IE CA DE IT PL DK NO SE EE LT LV PT BE AT FI)", f)
		}
		if !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	if len(codes) == 0 {
		return nil, errors.New("no country code given (for example US, or GB,IE)")
	}
	return codes, nil
}

func checkLanguage(lang string) error {
	if !slices.Contains(linkLanguages, lang) {
		return fmt.Errorf("%q is not a language Link is shown in (%s)", lang, strings.Join(linkLanguages, " "))
	}
	return nil
}
