package plaidemu

import (
	"math/rand/v2"
	"time"
)

// accountKind decides an account's Plaid type and subtype and which
// activity the generator gives it.
type accountKind uint8

const (
	kindChecking accountKind = iota
	kindSavings
	kindCredit
	kindForeign
	kindInvestment
	kindStudentLoan
	kindMortgage
)

// account is one of an item's accounts with its running balance.
type account struct {
	ID           string
	Name         string
	OfficialName string
	Mask         string
	Kind         accountKind
	Type         string // depository, credit, loan, investment
	Subtype      string
	Currency     string
	LimitCents   int64 // credit accounts

	// Balances follow from the transactions: depository accounts hold
	// opening - posted, credit and loan accounts owe opening + posted.
	Opening int64
	Posted  int64 // sum of posted amounts ever applied (dropped history included)
	Pending int64 // sum of live pending amounts

	Holdings []holding // investment accounts
	Loan     loanTerms // loan accounts
}

type loanTerms struct {
	APR             float64
	Principal       int64
	OriginationDate day
	PaymentCents    int64
}

// balance is an account's balances in cents; ok flags say whether the value
// exists (Plaid sends null otherwise).
type balance struct {
	Current, Available, Limit          int64
	HasCurrent, HasAvailable, HasLimit bool
}

func (a *account) balance() balance {
	switch a.Kind {
	case kindCredit:
		cur := a.Opening + a.Posted
		return balance{Current: cur, Available: a.LimitCents - cur - a.Pending, Limit: a.LimitCents,
			HasCurrent: true, HasAvailable: true, HasLimit: true}
	case kindStudentLoan, kindMortgage:
		return balance{Current: a.Opening + a.Posted, HasCurrent: true}
	case kindInvestment:
		var total, cash int64
		for _, h := range a.Holdings {
			total += h.ValueCents
			if securities[h.Security].Cash {
				cash += h.ValueCents
			}
		}
		return balance{Current: total, Available: cash, HasCurrent: true, HasAvailable: true}
	default:
		cur := a.Opening - a.Posted
		return balance{Current: cur, Available: cur - a.Pending, HasCurrent: true, HasAvailable: true}
	}
}

// txn is one transaction version, kept compact: 50,000+ of them live in
// memory for large configurations.
type txn struct {
	ID        string
	PendingID string // posted transactions that replaced a pending one
	Name      string
	Amount    int64 // cents, Plaid's sign: positive = money out
	Date      day
	AuthDate  day
	Created   uint32 // sequence numbers in the item's change log
	Modified  uint32
	Removed   uint32
	Plan      int32 // index into item.plans for pending transactions, else -1
	Merchant  uint16
	Category  int16 // noCategory = unclassified
	Acct      uint8
	Place     uint8 // index into the merchant's places
	Pending   bool
}

// lastEvent is the sequence number of the transaction's latest change; a
// sync diff is ordered by it.
func (t *txn) lastEvent() uint32 {
	switch {
	case t.Removed != 0:
		return t.Removed
	case t.Modified != 0:
		return t.Modified
	default:
		return t.Created
	}
}

func (t *txn) live() bool { return t.Removed == 0 }

// held says whether t is older history Plaid has not fetched yet.
func (it *item) held(t *txn) bool { return it.historyHeld && t.Date < it.recentFrom }

// servesTransactions says whether Plaid's Transactions product covers an
// account: depository, credit and student loan accounts; not mortgages,
// not investment accounts. The bank's activity on the others still moves
// their balances.
func (a *account) servesTransactions() bool {
	return a.Kind != kindMortgage && a.Kind != kindInvestment
}

// hidden says whether t is not served now: held back or on an account the
// product does not cover.
func (it *item) hidden(t *txn) bool {
	return it.held(t) || !it.Accounts[t.Acct].servesTransactions()
}

// releaseHistory completes the historical update: the held transactions
// become new change-log events, so every cursor sees them as added.
// Held ones that are gone already stay unmentioned.
func (it *item) releaseHistory() {
	if !it.historyHeld {
		return
	}
	for i := range it.txns {
		t := &it.txns[i]
		if !it.held(t) {
			continue
		}
		if t.live() {
			t.Created, t.Modified = it.nextSeq(), 0
		} else {
			t.Created = t.Removed
		}
	}
	it.historyHeld, it.initialSyncs = false, 0
	it.nextSeq()
	it.diff = diffCache{}
}

// pendingPlan is what becomes of a pending transaction, decided when it is
// created so the outcome does not depend on when anyone looks.
type pendingPlan struct {
	PostDay    day
	Drop       bool
	PostAmount int64
	PostName   string
}

// item is a linked login at an institution.
type item struct {
	Index       int
	Name        string
	ID          string
	AccessToken string
	Inst        *institution
	Accounts    []*account
	Webhook     string

	txns     []txn
	plans    []pendingPlan
	pendings []int32 // indexes of live pending transactions
	head     uint32  // latest sequence number
	epoch    uint32  // bumped when history is cut or cursors are reset, invalidating cached diffs
	// resetEpoch is the epoch of the last cursor reset: cursors of older
	// epochs were valid once and are now refused.
	resetEpoch uint32
	idRand     *idStream
	schedule   schedule

	bankDay   day // last day the bank's activity was applied
	removed   bool
	errCode   string // "" or one of itemStateCodes
	errReason string // its error_code_reason, if any
	notReady  int    // data calls still to be answered "not ready"
	// While historyHeld, only transactions dated recentFrom or later are
	// visible (Plaid's initial update); initialSyncs more syncs are
	// answered INITIAL_UPDATE_COMPLETE before the rest arrives.
	historyHeld  bool
	recentFrom   day
	initialSyncs int
	// txInit says whether the Transactions product was initialised: at
	// Link (transactions among the products) or by the first
	// /transactions/sync or /transactions/get. Its days_requested fixed
	// the history for good.
	txInit      bool
	created     time.Time
	lastSuccess time.Time
	lastFailed  time.Time
	consent     time.Time // zero when the institution has none
	noAutopay   bool      // the bank makes no card or loan payments (SetAutopay)
	invTxns     []invTxn  // investment transactions, in date order
	// products were added to the item (and billed): at Link, or by the
	// first call of a product endpoint the user consented to. consented
	// are the products the user agreed to share at Link.
	products  []string
	consented []string

	diff diffCache
}

func (it *item) nextSeq() uint32 {
	it.head++
	return it.head
}

// add appends a transaction as a new change-log event.
func (it *item) add(t txn) int32 {
	t.Created = it.nextSeq()
	t.Modified, t.Removed = 0, 0
	idx := int32(len(it.txns))
	it.txns = append(it.txns, t)
	it.applyBalance(&it.txns[idx], 1)
	if t.Pending {
		it.pendings = append(it.pendings, idx)
	}
	return idx
}

// remove marks a transaction removed as a change-log event.
func (it *item) remove(idx int32) {
	t := &it.txns[idx]
	it.applyBalance(t, -1)
	t.Removed = it.nextSeq()
	if t.Pending {
		it.dropPendingIndex(idx)
	}
}

// modify changes a live transaction in place as a change-log event.
func (it *item) modify(idx int32, change func(*txn)) {
	t := &it.txns[idx]
	it.applyBalance(t, -1)
	change(t)
	it.applyBalance(t, 1)
	t.Modified = it.nextSeq()
}

func (it *item) applyBalance(t *txn, sign int64) {
	a := it.Accounts[t.Acct]
	if t.Pending {
		a.Pending += sign * t.Amount
	} else {
		a.Posted += sign * t.Amount
	}
}

func (it *item) dropPendingIndex(idx int32) {
	for i, p := range it.pendings {
		if p == idx {
			it.pendings = append(it.pendings[:i], it.pendings[i+1:]...)
			return
		}
	}
}

// cutHistory drops, for good, transactions dated before first. It runs only
// before any client holds a cursor, so no removal events are needed; posted
// balances keep what was dropped (the bank's balance does not change
// because Plaid holds less history).
func (it *item) cutHistory(first day) {
	kept := it.txns[:0]
	for _, t := range it.txns {
		if t.Date >= first {
			kept = append(kept, t)
			continue
		}
		if t.live() && t.Pending {
			it.Accounts[t.Acct].Pending -= t.Amount
		}
	}
	clear(it.txns[len(kept):])
	it.txns = kept
	it.pendings = it.pendings[:0]
	for i := range it.txns {
		if t := &it.txns[i]; t.live() && t.Pending {
			it.pendings = append(it.pendings, int32(i))
		}
	}
	it.epoch++
	it.diff = diffCache{}
}

// DefaultDaysRequested is Plaid's transactions.days_requested when a
// request does not say.
const DefaultDaysRequested = 90

// initTransactions initialises the Transactions product on an item that
// was linked without it, keeping days of history (0 = Plaid's default).
// On an item already initialised it does nothing, as Plaid ignores
// days_requested there.
func (it *item) initTransactions(today day, days int) {
	if it.txInit {
		return
	}
	it.txInit = true
	if days == 0 {
		days = DefaultDaysRequested
	}
	it.cutHistory(today - day(days) + 1)
}

// idStream hands out an item's transaction ids in a fixed order.
type idStream struct{ r *rand.Rand }

func (s *idStream) next() string { return plaidID(s.r) }
