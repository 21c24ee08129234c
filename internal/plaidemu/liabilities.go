package plaidemu

import (
	"fmt"
	"time"
)

// Billing cycles of the emulated bank. A credit card's statement is cut on
// the 28th and due on the 25th of the next month; a loan's statement comes
// on the 20th and is due on the 5th. The generator's autopay pays on the
// due date, so a statement becomes overdue only when autopay is off.
const (
	cardStatementDay = 28
	cardDueDay       = 25
	loanStatementDay = 20
	loanDueDay       = 5

	defaultPurchaseAPR    = 22.99
	cashAdvanceAPR        = 29.99
	mortgageEscrowCents   = 314154
	lateFeePercentOfMonth = 5
)

// LiabilityTruth is what /liabilities/get says about one liability account
// today, in the emulator's own terms.
type LiabilityTruth struct {
	AccountID string `json:"account_id"`
	Kind      string `json:"kind"` // credit, student, mortgage
	Currency  string `json:"currency"`
	// APR is the purchase APR of a card, the interest rate of a loan (percent).
	APR                  float64  `json:"apr"`
	LastStatementDate    string   `json:"last_statement_issue_date"`
	LastStatementBalance float64  `json:"last_statement_balance"`
	MinimumPayment       float64  `json:"minimum_payment_amount"`
	NextPaymentDueDate   string   `json:"next_payment_due_date"`
	IsOverdue            bool     `json:"is_overdue"`
	PastDueAmount        float64  `json:"past_due_amount"`
	LastPaymentAmount    *float64 `json:"last_payment_amount"`
	LastPaymentDate      string   `json:"last_payment_date"` // "" when none
	ExpectedPayoffDate   string   `json:"expected_payoff_date,omitempty"`
	EscrowBalance        *float64 `json:"escrow_balance,omitempty"`
	YTDInterestPaid      float64  `json:"ytd_interest_paid"`
	YTDPrincipalPaid     float64  `json:"ytd_principal_paid"`
	OutstandingInterest  float64  `json:"outstanding_interest_amount"`
	OriginationPrincipal float64  `json:"origination_principal_amount,omitempty"`
}

// cycle is one statement: its dates, the balance owed when it was cut and
// the minimum it asks for.
type cycle struct {
	statement, due day
	balance, min   int64
}

// liabilityFacts is a liability account's state today, from which both
// /liabilities/get and the ground truth are rendered.
type liabilityFacts struct {
	kind        string
	apr         float64
	cur         cycle
	nextDue     day
	overdue     bool
	pastDue     int64 // minimums past their due date and not paid
	lastPayAmt  int64
	lastPayDate day // 0 when none
	ytdPaid     int64
	payoff      day // loans: when the balance at the payment reaches zero
}

// isLiability says whether /liabilities/get covers an account.
func (a *account) isLiability() bool {
	return a.Kind == kindCredit || a.Kind == kindStudentLoan || a.Kind == kindMortgage
}

// onOrBefore is the last date with day of month dom on or before d.
func onOrBefore(d day, dom int) day {
	t := d.time()
	c := time.Date(t.Year(), t.Month(), dom, 0, 0, 0, 0, time.UTC)
	if c.After(t) {
		c = c.AddDate(0, -1, 0)
	}
	return dayOf(c)
}

// after is the first date with day of month dom after d.
func after(d day, dom int) day {
	t := d.time()
	c := time.Date(t.Year(), t.Month(), dom, 0, 0, 0, 0, time.UTC)
	if !c.After(t) {
		c = c.AddDate(0, 1, 0)
	}
	return dayOf(c)
}

// owedAt is what account acct owed at the end of day d: today's balance
// less what posted after d.
func owedAt(it *item, acct int, d day) int64 {
	a := it.Accounts[acct]
	owed := a.Opening + a.Posted
	for i := range it.txns {
		t := &it.txns[i]
		if int(t.Acct) == acct && t.live() && !t.Pending && t.Date > d {
			owed -= t.Amount
		}
	}
	return owed
}

func isPayment(t *txn) bool {
	return t.Amount < 0 && (int(t.Merchant) == mCardPaid || int(t.Merchant) == mLoanPaid)
}

// paidBetween sums the payments into acct dated in (from, to].
func paidBetween(it *item, acct int, from, to day) int64 {
	var sum int64
	for i := range it.txns {
		t := &it.txns[i]
		if int(t.Acct) == acct && t.live() && !t.Pending && isPayment(t) && t.Date > from && t.Date <= to {
			sum -= t.Amount
		}
	}
	return sum
}

func (a *account) cycleDays() (statementDay, dueDay int) {
	if a.Kind == kindCredit {
		return cardStatementDay, cardDueDay
	}
	return loanStatementDay, loanDueDay
}

func (a *account) minimumFor(balance int64) int64 {
	if balance <= 0 {
		return 0
	}
	if a.Kind == kindCredit {
		return min(balance, max(3500, balance/50))
	}
	return min(balance, a.Loan.PaymentCents)
}

func (a *account) purchaseAPR() float64 {
	if a.Kind == kindCredit && a.Loan.APR == 0 {
		return defaultPurchaseAPR
	}
	return a.Loan.APR
}

func (it *item) cycleOf(acct int, statement day) cycle {
	a := it.Accounts[acct]
	_, dueDay := a.cycleDays()
	bal := owedAt(it, acct, statement)
	return cycle{statement: statement, due: after(statement, dueDay), balance: bal, min: a.minimumFor(bal)}
}

// firstKnownDay is the earliest date of the item's transactions: cycles
// before it cannot be judged, as their payments may be gone.
func (it *item) firstKnownDay(today day) day {
	first := today
	for i := range it.txns {
		first = min(first, it.txns[i].Date)
	}
	return first
}

// liabilityOf works out a liability account's statement, due date and
// whether it is overdue. A statement is overdue once its due date passed
// and the payments since it was cut fall short of its minimum; it stays
// overdue until they cover it.
func (it *item) liabilityOf(acct int, today day) liabilityFacts {
	a := it.Accounts[acct]
	statementDay, dueDay := a.cycleDays()
	f := liabilityFacts{apr: a.purchaseAPR()}
	switch a.Kind {
	case kindCredit:
		f.kind = "credit"
	case kindStudentLoan:
		f.kind = "student"
	default:
		f.kind = "mortgage"
	}
	f.cur = it.cycleOf(acct, onOrBefore(today, statementDay))
	prev := it.cycleOf(acct, onOrBefore(f.cur.statement-1, statementDay))
	first := it.firstKnownDay(today)
	for _, c := range []cycle{prev, f.cur} {
		if c.statement < first || today <= c.due {
			continue
		}
		if paid := paidBetween(it, acct, c.statement, today); paid < c.min {
			f.overdue = true
			f.pastDue += c.min - paid
		}
	}
	f.nextDue = f.cur.due
	if today > f.cur.due && !f.overdue {
		f.nextDue = after(f.cur.due, dueDay)
	}
	for i := len(it.txns) - 1; i >= 0; i-- {
		t := &it.txns[i]
		if int(t.Acct) == acct && t.live() && !t.Pending && isPayment(t) && t.Date <= today {
			f.lastPayAmt, f.lastPayDate = -t.Amount, t.Date
			break
		}
	}
	jan1 := dayOf(time.Date(today.time().Year(), 1, 1, 0, 0, 0, 0, time.UTC))
	f.ytdPaid = paidBetween(it, acct, jan1-1, today)
	if a.Kind != kindCredit && a.Loan.PaymentCents > 0 {
		owed := a.Opening + a.Posted
		months := int((max(owed, 0) + a.Loan.PaymentCents - 1) / a.Loan.PaymentCents)
		due := f.nextDue.time()
		f.payoff = dayOf(due.AddDate(0, max(months-1, 0), 0))
	}
	return f
}

func (it *item) liabilityTruth(acct int, today day) LiabilityTruth {
	a := it.Accounts[acct]
	f := it.liabilityOf(acct, today)
	lt := LiabilityTruth{AccountID: a.ID, Kind: f.kind, Currency: a.Currency, APR: f.apr,
		LastStatementDate: f.cur.statement.String(), LastStatementBalance: cents(f.cur.balance),
		MinimumPayment: cents(f.cur.min), NextPaymentDueDate: f.nextDue.String(), IsOverdue: f.overdue,
		PastDueAmount: cents(f.pastDue), YTDPrincipalPaid: cents(f.ytdPaid)}
	if f.lastPayDate != 0 {
		lt.LastPaymentAmount, lt.LastPaymentDate = centsPtr(f.lastPayAmt), f.lastPayDate.String()
	}
	if f.payoff != 0 {
		lt.ExpectedPayoffDate = f.payoff.String()
	}
	if a.Kind == kindMortgage {
		lt.EscrowBalance = centsPtr(mortgageEscrowCents)
	}
	if a.Kind != kindCredit {
		lt.OriginationPrincipal = cents(a.Loan.Principal)
	}
	return lt
}

// liabilityWire renders one account for /liabilities/get under Plaid's
// field names (LiabilitiesObject in the OpenAPI description).
func (it *item) liabilityWire(acct int, today day) map[string]any {
	a := it.Accounts[acct]
	f := it.liabilityOf(acct, today)
	var lastAmt, lastDate any
	if f.lastPayDate != 0 {
		lastAmt, lastDate = cents(f.lastPayAmt), f.lastPayDate.String()
	}
	switch a.Kind {
	case kindCredit:
		return map[string]any{
			"account_id": a.ID,
			"aprs": []map[string]any{
				{"apr_percentage": f.apr, "apr_type": "purchase_apr",
					"balance_subject_to_apr": cents(max(f.cur.balance, 0)), "interest_charge_amount": 0.0},
				{"apr_percentage": cashAdvanceAPR, "apr_type": "cash_apr",
					"balance_subject_to_apr": 0.0, "interest_charge_amount": 0.0},
			},
			"is_overdue":                f.overdue,
			"last_payment_amount":       lastAmt,
			"last_payment_date":         lastDate,
			"last_statement_issue_date": f.cur.statement.String(),
			"last_statement_balance":    cents(f.cur.balance),
			"minimum_payment_amount":    cents(f.cur.min),
			"next_payment_due_date":     f.nextDue.String(),
		}
	case kindStudentLoan:
		return map[string]any{
			"account_id":                   a.ID,
			"account_number":               "4277075694",
			"disbursement_dates":           []string{a.Loan.OriginationDate.String()},
			"expected_payoff_date":         f.payoff.String(),
			"guarantor":                    "DEPT OF ED",
			"interest_rate_percentage":     f.apr,
			"is_overdue":                   f.overdue,
			"last_payment_amount":          lastAmt,
			"last_payment_date":            lastDate,
			"last_statement_balance":       cents(f.cur.balance),
			"last_statement_issue_date":    f.cur.statement.String(),
			"loan_name":                    "Consolidation",
			"loan_status":                  map[string]any{"end_date": f.payoff.String(), "type": "repayment"},
			"minimum_payment_amount":       cents(f.cur.min),
			"next_payment_due_date":        f.nextDue.String(),
			"origination_date":             a.Loan.OriginationDate.String(),
			"origination_principal_amount": cents(a.Loan.Principal),
			"outstanding_interest_amount":  0.0,
			"payment_reference_number":     "4277075694",
			"pslf_status":                  map[string]any{"estimated_eligibility_date": nil, "payments_made": nil, "payments_remaining": nil},
			"repayment_plan":               map[string]any{"description": "Standard Repayment", "type": "standard"},
			"sequence_number":              "1",
			"servicer_address": map[string]any{"city": "San Matias", "country": "US", "postal_code": "99415",
				"region": "CA", "street": "123 Relaxation Road"},
			"ytd_interest_paid":  0.0,
			"ytd_principal_paid": cents(f.ytdPaid),
		}
	default:
		lateFee := 0.0
		if f.overdue {
			lateFee = cents(a.Loan.PaymentCents * lateFeePercentOfMonth / 100)
		}
		return map[string]any{
			"account_id":                   a.ID,
			"account_number":               "3120194154",
			"current_late_fee":             lateFee,
			"escrow_balance":               cents(mortgageEscrowCents),
			"has_pmi":                      false,
			"has_prepayment_penalty":       false,
			"interest_rate":                map[string]any{"percentage": f.apr, "type": "fixed"},
			"last_payment_amount":          lastAmt,
			"last_payment_date":            lastDate,
			"loan_type_description":        "conventional",
			"loan_term":                    "30 year",
			"maturity_date":                (a.Loan.OriginationDate + 10957).String(),
			"next_monthly_payment":         cents(a.Loan.PaymentCents),
			"next_payment_due_date":        f.nextDue.String(),
			"origination_date":             a.Loan.OriginationDate.String(),
			"origination_principal_amount": cents(a.Loan.Principal),
			"past_due_amount":              cents(f.pastDue),
			"property_address": map[string]any{"city": "Malakoff", "country": "US", "postal_code": "14236",
				"region": "NY", "street": "2992 Cameron Road"},
			"ytd_interest_paid":  0.0,
			"ytd_principal_paid": cents(f.ytdPaid),
		}
	}
}

// SetAutopay turns the bank's automatic card and loan payments of an item
// on or off. With autopay off no payment arrives, so each statement
// becomes overdue the day after its due date.
func (e *Emulator) SetAutopay(ref string, on bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it := e.findItem(ref)
	if it == nil || it.removed {
		return fmt.Errorf("plaidemu: no live item named %q (use an item name, item_id or access_token)", redactToken(ref))
	}
	it.noAutopay = !on
	return nil
}

// SetAPR changes the purchase APR of a credit card or the interest rate of
// a loan, as a bank does when a rate is reset.
func (e *Emulator) SetAPR(ref, accountID string, percent float64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it := e.findItem(ref)
	if it == nil || it.removed {
		return fmt.Errorf("plaidemu: no live item named %q (use an item name, item_id or access_token)", redactToken(ref))
	}
	if percent <= 0 || percent >= 100 {
		return fmt.Errorf("plaidemu: an APR must be between 0 and 100 percent, got %v", percent)
	}
	for _, a := range it.Accounts {
		if a.ID == accountID && a.isLiability() {
			a.Loan.APR = percent
			return nil
		}
	}
	return fmt.Errorf("plaidemu: item %q has no liability account %q", it.Name, accountID)
}
