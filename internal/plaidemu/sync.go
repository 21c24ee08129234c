package plaidemu

import (
	"cmp"
	"slices"
)

// Kinds of sync diff entries.
const (
	diffAdded uint8 = iota
	diffModified
	diffRemoved
)

type diffEntry struct {
	idx  int32
	kind uint8
}

// diffCache keeps the last computed diff of an item, so paging through it
// costs a slice per page instead of a pass over all transactions.
type diffCache struct {
	valid   bool
	base    uint32
	head    uint32
	epoch   uint32
	acct    int
	entries []diffEntry
}

// diffSince is the net change between change-log point base and the head,
// ordered by each transaction's latest event. acct >= 0 limits it to one
// account. Callers hold e.mu.
func (it *item) diffSince(base uint32, acct int) []diffEntry {
	c := &it.diff
	if c.valid && c.base == base && c.head == it.head && c.epoch == it.epoch && c.acct == acct {
		return c.entries
	}
	var out []diffEntry
	for i := range it.txns {
		t := &it.txns[i]
		if acct >= 0 && int(t.Acct) != acct || it.hidden(t) {
			continue
		}
		existedAtBase := t.Created <= base && (t.Removed == 0 || t.Removed > base)
		switch {
		case t.live() && !existedAtBase:
			out = append(out, diffEntry{int32(i), diffAdded})
		case t.live() && t.Modified > base:
			out = append(out, diffEntry{int32(i), diffModified})
		case !t.live() && existedAtBase:
			out = append(out, diffEntry{int32(i), diffRemoved})
		}
	}
	slices.SortFunc(out, func(a, b diffEntry) int {
		return cmp.Compare(it.txns[a.idx].lastEvent(), it.txns[b.idx].lastEvent())
	})
	*c = diffCache{valid: true, base: base, head: it.head, epoch: it.epoch, acct: acct, entries: out}
	return out
}

// pfcVersion is the taxonomy a request gets: a client that may only
// receive v2 (Config.PFCVersion "v2") always gets v2; others get what they
// ask for, v1 by default.
func (e *Emulator) pfcVersion(asked *string) string {
	if e.cfg.PFCVersion == PFCv2 || asked != nil && *asked == PFCv2 {
		return PFCv2
	}
	return PFCv1
}

// nowCursor is Plaid's documented special cursor value: start from the
// present, without any history.
const nowCursor = "now"

type syncRequest struct {
	AccessToken string  `json:"access_token"`
	Cursor      *string `json:"cursor"`
	Count       *int    `json:"count"`
	Options     *struct {
		IncludeOriginalDescription *bool   `json:"include_original_description"`
		DaysRequested              *int    `json:"days_requested"`
		AccountID                  *string `json:"account_id"`
		PFCVersion                 *string `json:"personal_finance_category_version"`
	} `json:"options"`
}

type syncResponse struct {
	Accounts                 []wireAccount `json:"accounts"`
	Added                    []wireTxn     `json:"added"`
	Modified                 []wireTxn     `json:"modified"`
	Removed                  []wireRemoved `json:"removed"`
	NextCursor               string        `json:"next_cursor"`
	HasMore                  bool          `json:"has_more"`
	TransactionsUpdateStatus string        `json:"transactions_update_status"`
	RequestID                string        `json:"request_id"`
}

func (e *Emulator) transactionsSync(c *call) (any, *apiError) {
	var req syncRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	count := 100
	if req.Count != nil {
		count = *req.Count
	}
	if count < 1 || count > 500 {
		return nil, invalidField("count must be between 1 and 500, got %d", count)
	}
	var days int
	var acctID string
	origDesc := false
	var pfcAsked *string
	if o := req.Options; o != nil {
		if o.DaysRequested != nil {
			days = *o.DaysRequested
			if days < 1 || days > 730 {
				return nil, invalidField("options.days_requested must be between 1 and 730, got %d", days)
			}
		}
		if o.AccountID != nil {
			acctID = *o.AccountID
		}
		origDesc = o.IncludeOriginalDescription != nil && *o.IncludeOriginalDescription
		pfcAsked = o.PFCVersion
	}
	pfc := e.pfcVersion(pfcAsked)

	e.mu.Lock()
	it, apiErr := e.productItem(req.AccessToken, productTransactions)
	if apiErr != nil {
		e.mu.Unlock()
		return nil, apiErr
	}
	acct := -1
	if acctID != "" {
		for i, a := range it.Accounts {
			if a.ID == acctID {
				acct = i
			}
		}
		if acct < 0 {
			e.mu.Unlock()
			return nil, invalidField("options.account_id does not belong to this item")
		}
	}
	var cur cursor
	now := req.Cursor != nil && *req.Cursor == nowCursor
	if req.Cursor != nil && *req.Cursor != "" && !now {
		var err error
		cur, err = decodeCursor(*req.Cursor, e.cursorKey())
		if err == nil && cur.item == itemKey(it.ID) && cur.epoch < it.resetEpoch {
			e.mu.Unlock()
			return nil, invalidField("cursor not valid: the cursor %q was issued before this item's transactions were reset; sync again from an empty cursor", redactCursor(*req.Cursor))
		}
		if err != nil || cur.item != itemKey(it.ID) || cur.epoch != it.epoch || cur.base > it.head ||
			cur.intermediate && (cur.head < cur.base || cur.page < 2) {
			e.mu.Unlock()
			return nil, invalidField("cursor not valid: the cursor %q was not issued for this item", redactCursor(*req.Cursor))
		}
		if int(cur.account) != acct+1 {
			e.mu.Unlock()
			return nil, invalidField("cursor was issued for another options.account_id")
		}
	}
	it.initTransactions(e.today, days)
	if it.notReady > 0 {
		it.notReady--
		e.mu.Unlock()
		return syncResponse{Accounts: []wireAccount{}, Added: []wireTxn{}, Modified: []wireTxn{}, Removed: []wireRemoved{},
			TransactionsUpdateStatus: "NOT_READY", RequestID: c.requestID}, nil
	}
	status := "HISTORICAL_UPDATE_COMPLETE"
	if it.historyHeld {
		if it.initialSyncs > 0 {
			it.initialSyncs--
			status = "INITIAL_UPDATE_COMPLETE"
		} else {
			it.releaseHistory()
		}
	}
	key := e.cursorKey()
	if now {
		// "now" skips all history: no transactions, a cursor for the present.
		resp := syncResponse{Accounts: []wireAccount{}, Added: []wireTxn{}, Modified: []wireTxn{}, Removed: []wireRemoved{},
			NextCursor:               cursor{item: itemKey(it.ID), epoch: it.epoch, base: it.head, account: uint32(acct + 1)}.encode(key),
			TransactionsUpdateStatus: status, RequestID: c.requestID}
		e.mu.Unlock()
		return resp, nil
	}
	if cur.intermediate && cur.head != it.head {
		e.mu.Unlock()
		return nil, plaidErr("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION")
	}
	base, offset, page := cur.base, uint32(0), uint32(1)
	if cur.intermediate {
		offset, page = cur.offset, cur.page
	}
	entries := it.diffSince(base, acct)
	if int(offset) > len(entries) {
		e.mu.Unlock()
		return nil, invalidField("cursor not valid: the cursor %q points past this item's updates", redactCursor(*req.Cursor))
	}
	end := min(int(offset)+count, len(entries))
	views := make([]txnView, end-int(offset))
	kinds := make([]uint8, len(views))
	for i, en := range entries[offset:end] {
		t := it.txns[en.idx]
		a := it.Accounts[t.Acct]
		views[i] = txnView{t: t, acctID: a.ID, currency: a.Currency}
		kinds[i] = en.kind
	}
	resp := syncResponse{Added: []wireTxn{}, Modified: []wireTxn{}, Removed: []wireRemoved{},
		TransactionsUpdateStatus: status, RequestID: c.requestID}
	// Plaid lists the accounts the page's transactions belong to.
	touched := make([]bool, len(it.Accounts))
	for i := range views {
		touched[views[i].t.Acct] = true
	}
	resp.Accounts = []wireAccount{}
	for i, a := range it.Accounts {
		if touched[i] {
			resp.Accounts = append(resp.Accounts, accountWire(a, zeroTime))
		}
	}
	if end < len(entries) {
		resp.HasMore = true
		resp.NextCursor = cursor{intermediate: true, item: itemKey(it.ID), epoch: it.epoch, base: base,
			head: it.head, offset: uint32(end), page: page + 1, account: uint32(acct + 1)}.encode(key)
	} else {
		resp.NextCursor = cursor{item: itemKey(it.ID), epoch: it.epoch, base: it.head, account: uint32(acct + 1)}.encode(key)
	}
	e.mu.Unlock()

	for i := range views {
		v := &views[i]
		switch kinds[i] {
		case diffAdded:
			resp.Added = append(resp.Added, v.wire(origDesc, pfc))
		case diffModified:
			resp.Modified = append(resp.Modified, v.wire(origDesc, pfc))
		case diffRemoved:
			resp.Removed = append(resp.Removed, wireRemoved{TransactionID: v.t.ID, AccountID: v.acctID})
		}
	}
	return resp, nil
}
