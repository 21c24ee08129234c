package plaidemu

import (
	"math/rand/v2"
	"time"
)

// schedule is an item's recurring money movements and spending rate,
// drawn once per item.
type schedule struct {
	PayParity     int
	PayCents      int64
	RentCents     int64 // 0 when the item has a mortgage
	ElectricCents int64
	SavingsCents  int64
	ForeignIncome int64
	PurchaseRate  float64 // purchases per day
}

// Account indexes of the kinds that take part in recurring activity; -1 when
// the item has none.
type roles struct{ checking, savings, credit, foreign, loan, investment int }

func (it *item) roles() roles {
	r := roles{-1, -1, -1, -1, -1, -1}
	for i, a := range it.Accounts {
		set := func(p *int) {
			if *p < 0 {
				*p = i
			}
		}
		switch a.Kind {
		case kindChecking:
			set(&r.checking)
		case kindSavings:
			set(&r.savings)
		case kindCredit:
			set(&r.credit)
		case kindForeign:
			set(&r.foreign)
		case kindStudentLoan, kindMortgage:
			set(&r.loan)
		case kindInvestment:
			set(&r.investment)
		}
	}
	return r
}

// meanPurchaseCents is the catalog's average domestic purchase, used to
// size paychecks so balances stay plausible over years.
var meanPurchaseCents = func() float64 {
	var sum, w float64
	for _, m := range merchants {
		if m.Weight > 0 && !m.Foreign {
			sum += float64(m.Weight) * float64(m.MinCents+m.MaxCents) / 2
			w += float64(m.Weight)
		}
	}
	return sum / w
}()

func newSchedule(seed int64, it *item, txPerDay float64) schedule {
	r := newRand(uint64(seed), streamSchedule, uint64(it.Index))
	ro := it.roles()
	s := schedule{PayParity: r.IntN(2), ElectricCents: between(r, 60, 180) * 100}
	recurring := 1.0/14 + 3.0/30 // paychecks, utilities
	monthly := float64(s.ElectricCents + 7999 + 6500)
	if ro.loan >= 0 {
		recurring += 2.0 / 30
		monthly += float64(it.Accounts[ro.loan].Loan.PaymentCents)
	}
	if ro.loan < 0 || it.Accounts[ro.loan].Kind != kindMortgage {
		s.RentCents = between(r, 1200, 3200) * 100
		recurring += 1.0 / 30
		monthly += float64(s.RentCents)
	}
	if ro.savings >= 0 {
		s.SavingsCents = between(r, 200, 800) * 100
		recurring += 3.0 / 30
		monthly += float64(s.SavingsCents)
	}
	if ro.credit >= 0 {
		recurring += 2.0 / 30
	}
	if ro.foreign >= 0 {
		recurring += 1.0 / 30
	}
	s.PurchaseRate = max(txPerDay-recurring, txPerDay*0.2)
	domesticShare := 1.0
	if ro.foreign >= 0 {
		domesticShare = 0.9
		s.ForeignIncome = int64(s.PurchaseRate * 0.1 * 30 * 2500 * 1.1)
	}
	monthly += s.PurchaseRate * domesticShare * 30 * meanPurchaseCents
	s.PayCents = int64(monthly * 12 / 26 * (1.02 + 0.1*r.Float64()))
	return s
}

// activity is one transaction the bank produces on a day, with what happens
// to it if it arrives pending.
type activity struct {
	acct        int
	merchant    int
	place       int
	category    int
	amount      int64
	name        string
	pending     bool
	pendingName string
	plan        pendingPlan
}

// dayActivities lists what the bank does on day d. It draws from r only,
// and reads the item's balances for amounts that follow them (card
// payments), so the result is fixed by (seed, item, day) and the ledger.
func dayActivities(it *item, d day, r *rand.Rand) []activity {
	ro := it.roles()
	s := &it.schedule
	dom, wd := d.dayOfMonth(), d.weekday()
	var out []activity
	simple := func(acct, m int, amount int64, name string) {
		if name == "" {
			name = merchants[m].Name
		}
		out = append(out, activity{acct: acct, merchant: m, category: merchants[m].Category, amount: amount, name: name})
	}
	mask := func(i int) string { return " x" + it.Accounts[i].Mask }

	if c := ro.checking; c >= 0 {
		if wd == time.Friday && int(d)/7%2 == s.PayParity {
			simple(c, mPayroll, -(s.PayCents * between(r, 98, 102) / 100), "")
		}
		if dom == 1 && s.RentCents > 0 {
			simple(c, mRent, s.RentCents, "")
		}
		if dom == 7 {
			simple(c, mElectric, s.ElectricCents*between(r, 70, 130)/100, "")
		}
		if dom == 12 {
			simple(c, mInternet, 7999, "")
		}
		if dom == 20 {
			simple(c, mPhone, 6500, "")
		}
		if sv := ro.savings; sv >= 0 && dom == 16 {
			simple(c, mTransferOut, s.SavingsCents, merchants[mTransferOut].Name+mask(sv))
			simple(sv, mTransferIn, -s.SavingsCents, merchants[mTransferIn].Name+mask(c))
		}
		if cc := ro.credit; cc >= 0 && dom == cardDueDay && !it.noAutopay {
			if owed := it.Accounts[cc].Opening + it.Accounts[cc].Posted; owed > 0 {
				simple(c, mCardPayment, owed, merchants[mCardPayment].Name+mask(cc))
				simple(cc, mCardPaid, -owed, "")
			}
		}
		if l := ro.loan; l >= 0 && dom == loanDueDay && !it.noAutopay {
			a := it.Accounts[l]
			cat := catStudentLoan
			if a.Kind == kindMortgage {
				cat = catMortgage
			}
			pay := min(a.Loan.PaymentCents, a.Opening+a.Posted)
			if pay > 0 {
				simple(c, mLoanPayment, pay, merchants[mLoanPayment].Name+mask(l))
				simple(l, mLoanPaid, -pay, "")
				out[len(out)-1].category, out[len(out)-2].category = cat, cat
			}
		}
	}
	if sv := ro.savings; sv >= 0 && dom == 28 {
		simple(sv, mInterest, -between(r, 50, 1500), "")
	}
	if fx := ro.foreign; fx >= 0 && dom == 3 {
		simple(fx, mForeignIncome, -(s.ForeignIncome * between(r, 95, 105) / 100), "")
	}

	n := poisson(r, s.PurchaseRate)
	for range n {
		out = append(out, purchase(it, ro, r))
	}
	return out
}

// purchase draws one card or debit purchase (or refund).
func purchase(it *item, ro roles, r *rand.Rand) activity {
	acct := ro.checking
	roll := r.IntN(100)
	switch {
	case ro.foreign >= 0 && roll < 10:
		acct = ro.foreign
	case ro.credit >= 0 && roll < 65:
		acct = ro.credit
	}
	if acct < 0 {
		acct = 0
	}
	picker := domesticStores
	if it.Accounts[acct].Kind == kindForeign {
		picker = foreignStores
	}
	mi := picker.pick(r.IntN(picker.total()))
	m := &merchants[mi]
	amount := between(r, m.MinCents, m.MaxCents)
	if m.Category == catWithdrawal {
		amount = max(amount/2000, 1) * 2000
	}
	a := activity{acct: acct, merchant: mi, category: m.Category, amount: amount, name: m.Name, pendingName: m.Name}
	if len(m.Places) > 0 {
		a.place = r.IntN(len(m.Places))
	}
	if m.PendingName != "" && chance(r, 0.5) {
		a.pendingName = m.PendingName
	}
	delay := day(1 + r.IntN(3))
	drop := chance(r, 0.03)
	tip := int64(0)
	if m.Tips && chance(r, 0.6) {
		tip = amount * between(r, 15, 22) / 100
	}
	if m.Refunds && chance(r, 0.04) {
		a.amount = -amount // refunds post directly
		return a
	}
	kind := it.Accounts[acct].Kind
	if !it.Inst.NoPending && (kind == kindCredit || kind == kindChecking || kind == kindForeign) && chance(r, 0.85) {
		a.pending = true
		a.plan = pendingPlan{PostDay: delay, Drop: drop, PostAmount: amount + tip, PostName: m.Name}
	}
	return a
}
