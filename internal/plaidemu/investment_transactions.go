package plaidemu

import (
	"cmp"
	"fmt"
	"slices"
)

type investmentTransactionsRequest struct {
	AccessToken string  `json:"access_token"`
	StartDate   *string `json:"start_date"`
	EndDate     *string `json:"end_date"`
	Options     *struct {
		AccountIDs  *[]string `json:"account_ids"`
		Count       *int      `json:"count"`
		Offset      *int      `json:"offset"`
		AsyncUpdate *bool     `json:"async_update"`
	} `json:"options"`
}

type wireInvestmentTxn struct {
	InvestmentTransactionID string   `json:"investment_transaction_id"`
	AccountID               string   `json:"account_id"`
	SecurityID              *string  `json:"security_id"`
	Date                    string   `json:"date"`
	Name                    string   `json:"name"`
	Quantity                float64  `json:"quantity"`
	Amount                  float64  `json:"amount"`
	Price                   float64  `json:"price"`
	Fees                    *float64 `json:"fees"`
	Type                    string   `json:"type"`
	Subtype                 string   `json:"subtype"`
	IsoCurrencyCode         *string  `json:"iso_currency_code"`
	UnofficialCurrencyCode  *string  `json:"unofficial_currency_code"`
}

type investmentTransactionsResponse struct {
	Accounts                    []wireAccount       `json:"accounts"`
	Securities                  []wireSecurity      `json:"securities"`
	InvestmentTransactions      []wireInvestmentTxn `json:"investment_transactions"`
	TotalInvestmentTransactions int                 `json:"total_investment_transactions"`
	Item                        wireItem            `json:"item"`
	RequestID                   string              `json:"request_id"`
}

// investmentsTransactionsGet lists the live investment transactions dated
// within [start_date, end_date], newest first, offset-paged as Plaid does.
// There is no cursor: a client finds corrections and removals by reading
// a window again.
func (e *Emulator) investmentsTransactionsGet(c *call) (any, *apiError) {
	var req investmentTransactionsRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	start, end, apiErr := dateRange(req.StartDate, req.EndDate)
	if apiErr != nil {
		return nil, apiErr
	}
	var countOpt, offsetOpt *int
	var ids *[]string
	if o := req.Options; o != nil {
		countOpt, offsetOpt, ids = o.Count, o.Offset, o.AccountIDs
	}
	count, offset, apiErr := pageWindow(countOpt, offsetOpt)
	if apiErr != nil {
		return nil, apiErr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	it, apiErr := e.productItem(req.AccessToken, productInvestments)
	if apiErr != nil {
		return nil, apiErr
	}
	only, apiErr := accountFilter(it, ids)
	if apiErr != nil {
		return nil, apiErr
	}
	resp := investmentTransactionsResponse{Accounts: []wireAccount{}, Securities: []wireSecurity{},
		InvestmentTransactions: []wireInvestmentTxn{}, Item: e.itemWire(it, false), RequestID: c.requestID}
	for _, a := range it.Accounts {
		if a.Kind == kindInvestment && (only == nil || only[a.ID]) {
			resp.Accounts = append(resp.Accounts, accountWire(a, zeroTime))
		}
	}
	if len(resp.Accounts) == 0 {
		return nil, plaidErr("NO_INVESTMENT_ACCOUNTS")
	}
	var match []int
	for i := range it.invTxns {
		t := &it.invTxns[i]
		if !t.Removed && t.Date >= start && t.Date <= end && (only == nil || only[it.Accounts[t.Acct].ID]) {
			match = append(match, i)
		}
	}
	slices.SortStableFunc(match, func(a, b int) int { return cmp.Compare(it.invTxns[b].Date, it.invTxns[a].Date) })
	resp.TotalInvestmentTransactions = len(match)
	seen := map[int]bool{}
	for _, i := range match[min(offset, len(match)):min(offset+count, len(match))] {
		t := &it.invTxns[i]
		resp.InvestmentTransactions = append(resp.InvestmentTransactions, it.invTxnWire(t))
		if t.Security >= 0 && !seen[t.Security] {
			seen[t.Security] = true
			s := &securities[t.Security]
			price := cents(securityPrice(t.Security, it.bankDay))
			resp.Securities = append(resp.Securities, wireSecurity{SecurityID: s.ID, ISIN: optStr(s.ISIN), CUSIP: optStr(s.CUSIP),
				Name: strPtr(s.Name), TickerSymbol: strPtr(s.Ticker), IsCashEquivalent: s.Cash, Type: strPtr(s.Type),
				ClosePrice: &price, ClosePriceAsOf: strPtr(it.bankDay.String()), IsoCurrencyCode: strPtr(it.Accounts[t.Acct].Currency)})
		}
	}
	return resp, nil
}

func (it *item) invTxnWire(t *invTxn) wireInvestmentTxn {
	w := wireInvestmentTxn{InvestmentTransactionID: t.ID, AccountID: it.Accounts[t.Acct].ID, Date: t.Date.String(),
		Name: t.Name, Quantity: t.Quantity, Amount: cents(t.Amount), Price: cents(t.Price),
		Type: t.Type, Subtype: t.Subtype, IsoCurrencyCode: strPtr(it.Accounts[t.Acct].Currency)}
	// fees is nullable: Plaid leaves it null where an institution reports
	// none, as for most movements of cash; a trade carries its commission.
	if fees := cents(t.Fees); t.Fees != 0 || t.Type == "buy" || t.Type == "sell" {
		w.Fees = &fees
	}
	if t.Security >= 0 {
		w.SecurityID = strPtr(securities[t.Security].ID)
	}
	return w
}

// InvestmentTxnTruth is one live investment transaction.
type InvestmentTxnTruth struct {
	ID         string   `json:"investment_transaction_id"`
	AccountID  string   `json:"account_id"`
	SecurityID string   `json:"security_id"` // "" for none
	Date       string   `json:"date"`
	Type       string   `json:"type"`
	Subtype    string   `json:"subtype"`
	Name       string   `json:"name"`
	Quantity   float64  `json:"quantity"`
	Price      float64  `json:"price"`
	Amount     float64  `json:"amount"`
	Fees       *float64 `json:"fees"` // nil where Plaid gives null
	Currency   string   `json:"currency"`
}

func (it *item) investmentTxnsTruth() []InvestmentTxnTruth {
	var out []InvestmentTxnTruth
	for i := range it.invTxns {
		t := &it.invTxns[i]
		if t.Removed {
			continue
		}
		w := it.invTxnWire(t)
		tr := InvestmentTxnTruth{ID: w.InvestmentTransactionID, AccountID: w.AccountID, Date: w.Date, Type: w.Type,
			Subtype: w.Subtype, Name: w.Name, Quantity: w.Quantity, Price: w.Price, Amount: w.Amount, Fees: w.Fees,
			Currency: *w.IsoCurrencyCode}
		if w.SecurityID != nil {
			tr.SecurityID = *w.SecurityID
		}
		out = append(out, tr)
	}
	return out
}

// CorrectInvestmentTransaction changes the amount (and, for a trade, the
// price) of an investment transaction, as an institution does when it
// restates a dividend or a fill; cash moves by the difference.
func (e *Emulator) CorrectInvestmentTransaction(ref, id string, amount float64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, t, err := e.findInvTxn(ref, id)
	if err != nil {
		return err
	}
	newCents := int64(amount*100 + 0.5*sign(amount))
	it.adjustCash(t, t.Amount-newCents)
	t.Amount = newCents
	if t.Quantity != 0 {
		t.Price = int64(float64(newCents)/t.Quantity + 0.5*sign(float64(newCents)/t.Quantity))
	}
	return nil
}

// RemoveInvestmentTransaction withdraws an investment transaction, as an
// institution does with a trade booked in error; its cash comes back.
func (e *Emulator) RemoveInvestmentTransaction(ref, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, t, err := e.findInvTxn(ref, id)
	if err != nil {
		return err
	}
	it.adjustCash(t, t.Amount+t.Fees)
	t.Removed = true
	return nil
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

func (e *Emulator) findInvTxn(ref, id string) (*item, *invTxn, error) {
	it := e.findItem(ref)
	if it == nil || it.removed {
		return nil, nil, fmt.Errorf("plaidemu: no live item named %q (use an item name, item_id or access_token)", redactToken(ref))
	}
	for i := range it.invTxns {
		if t := &it.invTxns[i]; t.ID == id && !t.Removed {
			return it, t, nil
		}
	}
	return nil, nil, fmt.Errorf("plaidemu: item %q has no live investment transaction %q", it.Name, id)
}

// adjustCash adds cents to the cash holding of t's account.
func (it *item) adjustCash(t *invTxn, delta int64) {
	a := it.Accounts[t.Acct]
	cash := &a.Holdings[len(a.Holdings)-1]
	cash.Quantity = float64(int64(cash.Quantity*100+0.5)+delta) / 100
	cash.CostCents += delta
	cash.ValueCents += delta
}
