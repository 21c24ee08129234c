package plaidemu

import (
	"math"
	"strconv"
	"strings"
)

type sandboxPublicTokenRequest struct {
	InstitutionID   string   `json:"institution_id"`
	InitialProducts []string `json:"initial_products"`
	Options         *struct {
		Webhook          *string `json:"webhook"`
		OverrideUsername *string `json:"override_username"`
		OverridePassword *string `json:"override_password"`
		Transactions     *struct {
			DaysRequested *int `json:"days_requested"`
		} `json:"transactions"`
	} `json:"options"`
}

type publicTokenResponse struct {
	PublicToken string `json:"public_token"`
	RequestID   string `json:"request_id"`
}

// sandboxPublicTokenCreate links an item without Link, as Plaid's sandbox
// does. The item is not ready until NotReadySyncs syncs were answered.
func (e *Emulator) sandboxPublicTokenCreate(c *call) (any, *apiError) {
	var req sandboxPublicTokenRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	var missing []string
	if req.InstitutionID == "" {
		missing = append(missing, "institution_id")
	}
	if len(req.InitialProducts) == 0 {
		missing = append(missing, "initial_products")
	}
	if len(missing) > 0 {
		return nil, missingFields(missing...)
	}
	inst := institutionByID(req.InstitutionID)
	if inst == nil {
		return nil, plaidErrf("INVALID_INSTITUTION", "invalid institution_id provided: %q", req.InstitutionID)
	}
	webhook, days := "", 0
	if o := req.Options; o != nil {
		if o.OverridePassword != nil && *o.OverridePassword != "" && *o.OverridePassword != GoodPassword {
			return nil, plaidErr("INVALID_CREDENTIALS")
		}
		if o.Webhook != nil {
			webhook = *o.Webhook
		}
		if o.Transactions != nil && o.Transactions.DaysRequested != nil {
			days = *o.Transactions.DaysRequested
			if days < 1 || days > 730 {
				return nil, invalidField("options.transactions.days_requested must be between 1 and 730, got %d", days)
			}
		}
	}
	lr := linkRequest{Required: req.InitialProducts}
	if missing := lr.unsupported(inst); len(missing) > 0 {
		return nil, productsNotSupported(missing)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	it := e.linkItem(inst, webhook, lr, days)
	it.consentAll()
	return publicTokenResponse{PublicToken: e.newPublicToken(it), RequestID: c.requestID}, nil
}

type resetLoginResponse struct {
	ResetLogin bool   `json:"reset_login"`
	RequestID  string `json:"request_id"`
}

// sandboxItemResetLogin breaks an item's login: ITEM_LOGIN_REQUIRED until
// Link update mode repairs it.
func (e *Emulator) sandboxItemResetLogin(c *call) (any, *apiError) {
	return e.withItem(c, e.lookupItem, func(it *item) (any, *apiError) {
		e.breakItem(it, "ITEM_LOGIN_REQUIRED", "")
		it.lastFailed = e.now()
		return resetLoginResponse{ResetLogin: true, RequestID: c.requestID}, nil
	})
}

type sandboxTransactionsRequest struct {
	AccessToken  string `json:"access_token"`
	Transactions []struct {
		DateTransacted  string   `json:"date_transacted"`
		DatePosted      string   `json:"date_posted"`
		Amount          *float64 `json:"amount"`
		Description     string   `json:"description"`
		IsoCurrencyCode *string  `json:"iso_currency_code"`
	} `json:"transactions"`
}

// sandboxTransactionsCreate adds posted transactions to an item; they are
// visible to the next sync at once.
func (e *Emulator) sandboxTransactionsCreate(c *call) (any, *apiError) {
	var req sandboxTransactionsRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Transactions == nil {
		return nil, missingFields("transactions")
	}
	if n := len(req.Transactions); n < 1 || n > 10 {
		return nil, invalidField("transactions must hold 1 to 10 transactions, got %d", n)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	it, apiErr := e.dataItem(req.AccessToken)
	if apiErr != nil {
		return nil, apiErr
	}
	type planned struct {
		t    txn
		acct int
	}
	var add []planned
	for i, st := range req.Transactions {
		transacted, ok1 := parseDay(st.DateTransacted)
		posted, ok2 := parseDay(st.DatePosted)
		switch {
		case !ok1 || !ok2:
			return nil, invalidField("transactions[%d]: date_transacted and date_posted must be dates formatted as YYYY-MM-DD", i)
		case transacted > e.today || posted > e.today || transacted < e.today-14 || posted < e.today-14:
			return nil, invalidField("transactions[%d]: dates must be within the last 14 days", i)
		case posted < transacted:
			return nil, invalidField("transactions[%d]: date_posted must not be before date_transacted", i)
		case strings.TrimSpace(st.Description) == "":
			return nil, missingFields("transactions[" + strconv.Itoa(i) + "].description")
		case st.Amount == nil:
			return nil, missingFields("transactions[" + strconv.Itoa(i) + "].amount")
		case math.IsNaN(*st.Amount) || math.Abs(*st.Amount) >= 1e9:
			return nil, invalidField("transactions[%d]: amount must be below 1,000,000,000 in size", i)
		}
		currency := it.Inst.currency()
		if st.IsoCurrencyCode != nil && *st.IsoCurrencyCode != "" {
			currency = strings.ToUpper(*st.IsoCurrencyCode)
		}
		acct := sandboxAccount(it, currency)
		if acct < 0 {
			return nil, invalidField("transactions[%d]: the item has no depository account in %s", i, currency)
		}
		add = append(add, planned{acct: acct, t: txn{Name: st.Description, Amount: int64(math.Round(*st.Amount * 100)),
			Date: posted, AuthDate: transacted, Merchant: uint16(mCustom), Category: noCategory, Acct: uint8(acct), Plan: -1}})
	}
	for _, p := range add {
		p.t.ID = it.idRand.next()
		it.add(p.t)
	}
	return requestIDResponse{RequestID: c.requestID}, nil
}

// sandboxAccount picks the depository account in currency that sandbox
// transactions land in.
func sandboxAccount(it *item, currency string) int {
	for i, a := range it.Accounts {
		if a.Type == "depository" && a.Currency == currency {
			return i
		}
	}
	return -1
}
