package plaidemu

import (
	"cmp"
	"slices"
)

type transactionsGetRequest struct {
	AccessToken string  `json:"access_token"`
	StartDate   *string `json:"start_date"`
	EndDate     *string `json:"end_date"`
	Options     *struct {
		AccountIDs                 *[]string `json:"account_ids"`
		Count                      *int      `json:"count"`
		Offset                     *int      `json:"offset"`
		IncludeOriginalDescription *bool     `json:"include_original_description"`
		DaysRequested              *int      `json:"days_requested"`
		PFCVersion                 *string   `json:"personal_finance_category_version"`
	} `json:"options"`
}

type transactionsGetResponse struct {
	Accounts          []wireAccount `json:"accounts"`
	Transactions      []wireTxn     `json:"transactions"`
	TotalTransactions int           `json:"total_transactions"`
	Item              wireItem      `json:"item"`
	RequestID         string        `json:"request_id"`
}

// transactionsGet is Plaid's legacy offset-paged listing: live
// transactions dated within [start_date, end_date], newest first.
func (e *Emulator) transactionsGet(c *call) (any, *apiError) {
	var req transactionsGetRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	start, end, apiErr := dateRange(req.StartDate, req.EndDate)
	if apiErr != nil {
		return nil, apiErr
	}
	origDesc := false
	var countOpt, offsetOpt *int
	var ids *[]string
	days := 0
	var pfcAsked *string
	if o := req.Options; o != nil {
		pfcAsked = o.PFCVersion
		if o.DaysRequested != nil {
			days = *o.DaysRequested
		}
		countOpt, offsetOpt, ids = o.Count, o.Offset, o.AccountIDs
		origDesc = o.IncludeOriginalDescription != nil && *o.IncludeOriginalDescription
	}
	count, offset, apiErr := pageWindow(countOpt, offsetOpt)
	if apiErr != nil {
		return nil, apiErr
	}

	e.mu.Lock()
	it, apiErr := e.productItem(req.AccessToken, productTransactions)
	if apiErr != nil {
		e.mu.Unlock()
		return nil, apiErr
	}
	only, apiErr := accountFilter(it, ids)
	if apiErr != nil {
		e.mu.Unlock()
		return nil, apiErr
	}
	it.initTransactions(e.today, days)
	if it.notReady > 0 {
		it.notReady--
		e.mu.Unlock()
		return nil, plaidErr("PRODUCT_NOT_READY")
	}
	var match []int32
	for i := range it.txns {
		t := &it.txns[i]
		if t.live() && !it.hidden(t) && t.Date >= start && t.Date <= end && (only == nil || only[it.Accounts[t.Acct].ID]) {
			match = append(match, int32(i))
		}
	}
	slices.SortFunc(match, func(a, b int32) int {
		ta, tb := &it.txns[a], &it.txns[b]
		if c := cmp.Compare(tb.Date, ta.Date); c != 0 {
			return c
		}
		return cmp.Compare(tb.Created, ta.Created)
	})
	total := len(match)
	page := match[min(offset, total):min(offset+count, total)]
	views := make([]txnView, len(page))
	for i, idx := range page {
		t := it.txns[idx]
		a := it.Accounts[t.Acct]
		views[i] = txnView{t: t, acctID: a.ID, currency: a.Currency}
	}
	resp := transactionsGetResponse{Accounts: e.accountsWire(it, only, zeroTime), Transactions: make([]wireTxn, 0, len(views)),
		TotalTransactions: total, Item: e.itemWire(it, false), RequestID: c.requestID}
	e.mu.Unlock()
	for i := range views {
		resp.Transactions = append(resp.Transactions, views[i].wire(origDesc, e.pfcVersion(pfcAsked)))
	}
	return resp, nil
}

// transactionsRefresh asks the bank for news; the emulated bank is always
// current, so it records a successful update.
func (e *Emulator) transactionsRefresh(c *call) (any, *apiError) {
	return e.withItem(c, e.productFinder(productTransactions), func(it *item) (any, *apiError) {
		it.lastSuccess = e.now()
		return requestIDResponse{RequestID: c.requestID}, nil
	})
}
