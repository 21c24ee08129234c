package plaidemu

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// lookupItem resolves an access token. Callers hold e.mu.
func (e *Emulator) lookupItem(token string) (*item, *apiError) {
	if token == "" {
		return nil, missingFields("access_token")
	}
	it := e.byToken[token]
	if it == nil {
		if !strings.HasPrefix(token, "access-") {
			return nil, plaidErr("INVALID_ACCESS_TOKEN")
		}
		return nil, plaidErrf("INVALID_ACCESS_TOKEN", "could not find matching access token")
	}
	if it.removed {
		return nil, plaidErr("ITEM_NOT_FOUND")
	}
	e.expireConsent(it)
	return it, nil
}

// itemError is the item's error state as Plaid's error.
func (it *item) itemError() *apiError {
	err := plaidErr(it.errCode)
	err.Reason = it.errReason
	return err
}

// breakItem puts an item in an error state until update mode repairs it.
// Callers hold e.mu.
func (e *Emulator) breakItem(it *item, code, reason string) {
	if it.removed {
		return
	}
	it.errCode, it.errReason = code, reason
	it.lastFailed = e.now()
}

// expireConsent breaks an item whose OAuth consent has run out, as Plaid
// does: ITEM_LOGIN_REQUIRED with reason OAUTH_CONSENT_EXPIRED. Callers
// hold e.mu.
func (e *Emulator) expireConsent(it *item) {
	if it.errCode == "" && !it.consent.IsZero() && !e.now().Before(it.consent) {
		e.breakItem(it, "ITEM_LOGIN_REQUIRED", "OAUTH_CONSENT_EXPIRED")
	}
}

// SetConsentExpiration sets when an item's consent expires (shown as
// consent_expiration_time by /item/get); zero removes it. When emulated
// time reaches it the item answers ITEM_LOGIN_REQUIRED with
// error_code_reason OAUTH_CONSENT_EXPIRED until update mode renews it.
func (e *Emulator) SetConsentExpiration(ref string, at time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it := e.findItem(ref)
	if it == nil || it.removed {
		return fmt.Errorf("plaidemu: no live item named %q (use an item name, item_id or access_token)", redactToken(ref))
	}
	it.consent = at.UTC().Truncate(time.Second)
	e.expireConsent(it)
	return nil
}

// dataItem resolves an access token for an endpoint that reads the bank's
// data, which an item whose login is broken cannot do. Callers hold e.mu.
func (e *Emulator) dataItem(token string) (*item, *apiError) {
	it, err := e.lookupItem(token)
	if err != nil {
		return nil, err
	}
	if it.errCode != "" {
		return nil, it.itemError()
	}
	return it, nil
}

type accessTokenRequest struct {
	AccessToken string `json:"access_token"`
}

// withItem decodes an {"access_token"} request and calls fn with its item
// under the emulator's lock. find is lookupItem (any item of the client) or
// dataItem (an item whose data may be read now).
func (e *Emulator) withItem(c *call, find func(token string) (*item, *apiError), fn func(*item) (any, *apiError)) (any, *apiError) {
	var req accessTokenRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	it, err := find(req.AccessToken)
	if err != nil {
		return nil, err
	}
	return fn(it)
}

type itemGetResponse struct {
	Item      wireItem       `json:"item"`
	Status    itemStatusWire `json:"status"`
	RequestID string         `json:"request_id"`
}

// itemStatusWire is /item/get's status; products the emulator does not
// track are null.
type itemStatusWire struct {
	Investments  *struct{}         `json:"investments"`
	Transactions itemStatusTxnWire `json:"transactions"`
	LastWebhook  *struct{}         `json:"last_webhook"`
}

type itemStatusTxnWire struct {
	LastSuccessfulUpdate *string `json:"last_successful_update"`
	LastFailedUpdate     *string `json:"last_failed_update"`
}

func (e *Emulator) itemGet(c *call) (any, *apiError) {
	return e.withItem(c, e.lookupItem, func(it *item) (any, *apiError) {
		return itemGetResponse{
			Item: e.itemWire(it, true),
			Status: itemStatusWire{Transactions: itemStatusTxnWire{
				LastSuccessfulUpdate: timePtr(it.lastSuccess), LastFailedUpdate: timePtr(it.lastFailed)}},
			RequestID: c.requestID,
		}, nil
	})
}

type requestIDResponse struct {
	RequestID string `json:"request_id"`
}

func (e *Emulator) itemRemove(c *call) (any, *apiError) {
	return e.withItem(c, e.lookupItem, func(it *item) (any, *apiError) {
		it.removed = true
		it.diff = diffCache{}
		return requestIDResponse{RequestID: c.requestID}, nil
	})
}

type accountsRequest struct {
	AccessToken string `json:"access_token"`
	Options     *struct {
		AccountIDs             *[]string `json:"account_ids"`
		MinLastUpdatedDatetime *string   `json:"min_last_updated_datetime"`
	} `json:"options"`
}

type accountsResponse struct {
	Accounts  []wireAccount `json:"accounts"`
	Item      wireItem      `json:"item"`
	RequestID string        `json:"request_id"`
}

// accountFilter turns options.account_ids into a set, checking each id.
func accountFilter(it *item, ids *[]string) (map[string]bool, *apiError) {
	if ids == nil {
		return nil, nil
	}
	only := map[string]bool{}
	for _, id := range *ids {
		if !slices.ContainsFunc(it.Accounts, func(a *account) bool { return a.ID == id }) {
			return nil, invalidField("options.account_ids contains an account that does not belong to this item")
		}
		only[id] = true
	}
	return only, nil
}

func (e *Emulator) accountsGet(c *call) (any, *apiError) { return e.accounts(c, false) }

func (e *Emulator) accountsBalanceGet(c *call) (any, *apiError) { return e.accounts(c, true) }

func (e *Emulator) accounts(c *call, realtime bool) (any, *apiError) {
	var req accountsRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	it, err := e.dataItem(req.AccessToken)
	if err != nil {
		return nil, err
	}
	var ids *[]string
	var minUpdated *string
	if req.Options != nil {
		ids, minUpdated = req.Options.AccountIDs, req.Options.MinLastUpdatedDatetime
	}
	only, err := accountFilter(it, ids)
	if err != nil {
		return nil, err
	}
	var updated time.Time
	if realtime && it.Inst.BalanceNeedsMinUpdated {
		// Only Capital One reports when its balances were last updated, and
		// it needs a lower bound for non-depository accounts.
		updated = e.now()
		if minUpdated == nil && slices.ContainsFunc(it.Accounts, func(a *account) bool { return a.Type != "depository" }) {
			return nil, invalidField("options.min_last_updated_datetime is required for this item: %s requires it for items with non-depository accounts", it.Inst.Name)
		}
		if minUpdated != nil {
			if min, perr := time.Parse(time.RFC3339, *minUpdated); perr == nil && min.After(updated) {
				return nil, plaidErrf("LAST_UPDATED_DATETIME_OUT_OF_RANGE",
					"no balance was updated at or after options.min_last_updated_datetime %s; the latest is %s", *minUpdated, rfc3339(updated))
			}
		}
	}
	return accountsResponse{Accounts: e.accountsWire(it, only, updated), Item: e.itemWire(it, false), RequestID: c.requestID}, nil
}

type institutionRequest struct {
	InstitutionID string    `json:"institution_id"`
	CountryCodes  *[]string `json:"country_codes"`
	Options       *struct {
		IncludeOptionalMetadata *bool `json:"include_optional_metadata"`
	} `json:"options"`
}

type wireInstitution struct {
	InstitutionID  string   `json:"institution_id"`
	Name           string   `json:"name"`
	Products       []string `json:"products"`
	CountryCodes   []string `json:"country_codes"`
	URL            *string  `json:"url,omitempty"`
	PrimaryColor   *string  `json:"primary_color,omitempty"`
	Logo           *string  `json:"logo,omitempty"`
	RoutingNumbers []string `json:"routing_numbers"`
	DtcNumbers     []string `json:"dtc_numbers"`
	OAuth          bool     `json:"oauth"`
}

type institutionResponse struct {
	Institution wireInstitution `json:"institution"`
	RequestID   string          `json:"request_id"`
}

func (e *Emulator) institutionsGetByID(c *call) (any, *apiError) {
	var req institutionRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	var missing []string
	if req.InstitutionID == "" {
		missing = append(missing, "institution_id")
	}
	if req.CountryCodes == nil || len(*req.CountryCodes) == 0 {
		missing = append(missing, "country_codes")
	}
	if len(missing) > 0 {
		return nil, missingFields(missing...)
	}
	inst := institutionByID(req.InstitutionID)
	if inst == nil || !inst.servesAny(*req.CountryCodes) {
		// Plaid finds institutions within the requested countries only.
		return nil, plaidErrf("INVALID_INSTITUTION", "invalid institution_id provided: %q is not an institution in country_codes %s",
			req.InstitutionID, strings.Join(*req.CountryCodes, ", "))
	}
	w := wireInstitution{
		InstitutionID:  inst.ID,
		Name:           inst.Name,
		Products:       inst.products(),
		CountryCodes:   inst.countries(),
		RoutingNumbers: inst.Routing,
		DtcNumbers:     []string{},
		OAuth:          inst.OAuth,
	}
	if req.Options != nil && req.Options.IncludeOptionalMetadata != nil && *req.Options.IncludeOptionalMetadata {
		w.URL, w.PrimaryColor = strPtr(inst.URL), strPtr(inst.Color)
		w.Logo = nil
	}
	return institutionResponse{Institution: w, RequestID: c.requestID}, nil
}
