package plaidemu

import (
	"math/rand/v2"
	"strconv"
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
		if cc := ro.credit; cc >= 0 && dom == 25 {
			if owed := it.Accounts[cc].Opening + it.Accounts[cc].Posted; owed > 0 {
				simple(c, mCardPayment, owed, merchants[mCardPayment].Name+mask(cc))
				simple(cc, mCardPaid, -owed, "")
			}
		}
		if l := ro.loan; l >= 0 && dom == 5 {
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

// advanceSummary counts what happened during bank days.
type advanceCounts = AdvanceSummary

// runBankDay applies day d's activity to the item. live days (after the
// item was linked) send purchases through pending first and correct or
// remove recent transactions; history days (end = the link date) create
// what a client would see on its first sync.
func (e *Emulator) runBankDay(it *item, d, end day, live bool, sum *advanceCounts) {
	r := newRand(uint64(e.cfg.Seed), streamDay, uint64(it.Index), uint64(d))
	if live {
		settlePendings(it, d, sum)
	}
	for _, a := range dayActivities(it, d, r) {
		applyActivity(it, a, d, end, live, sum)
	}
	if live {
		changeRecent(it, d, r, sum)
	}
	it.bankDay = d
}

func applyActivity(it *item, a activity, d, end day, live bool, sum *advanceCounts) {
	t := txn{Name: a.name, Amount: a.amount, Date: d, AuthDate: d, Merchant: uint16(a.merchant),
		Category: int16(a.category), Acct: uint8(a.acct), Place: uint8(a.place), Plan: -1}
	if !a.pending {
		t.ID = it.idRand.next()
		it.add(t)
		sum.Added++
		return
	}
	plan := a.plan
	plan.PostDay = d + plan.PostDay
	if !live && plan.PostDay <= end {
		// Already settled when the item is linked: only the posted version
		// is visible, still pointing at the pending one it replaced.
		if plan.Drop {
			return
		}
		t.PendingID = it.idRand.next()
		t.ID = it.idRand.next()
		t.Name, t.Amount, t.Date = plan.PostName, plan.PostAmount, plan.PostDay
		it.add(t)
		return
	}
	t.ID = it.idRand.next()
	t.Pending = true
	t.Name = a.pendingName
	t.Plan = int32(len(it.plans))
	it.plans = append(it.plans, plan)
	it.add(t)
	sum.Added++
}

// settlePendings posts or drops pending transactions due on day d. The
// pending one is removed and its posted replacement added as consecutive
// events, so they sit next to each other in a sync diff.
func settlePendings(it *item, d day, sum *advanceCounts) {
	due := make([]int32, 0, len(it.pendings))
	for _, idx := range it.pendings {
		if it.plans[it.txns[idx].Plan].PostDay <= d {
			due = append(due, idx)
		}
	}
	for _, idx := range due {
		p := it.txns[idx]
		plan := it.plans[p.Plan]
		it.remove(idx)
		if plan.Drop {
			sum.Dropped++
			continue
		}
		posted := p
		posted.ID = it.idRand.next()
		posted.PendingID = p.ID
		posted.Pending = false
		posted.Plan = -1
		posted.Name, posted.Amount, posted.Date = plan.PostName, plan.PostAmount, d
		it.add(posted)
		sum.Posted++
	}
}

// changeRecent makes the corrections banks make to recent posted
// transactions: amounts, dates, names and categories change, and now and
// then one disappears.
func changeRecent(it *item, d day, r *rand.Rand, sum *advanceCounts) {
	nMod, nRem := poisson(r, 0.6), poisson(r, 0.25)
	if nMod == 0 && nRem == 0 {
		return
	}
	var cands []int32
	for i := len(it.txns) - 1; i >= 0 && i >= len(it.txns)-600; i-- {
		t := &it.txns[i]
		if t.live() && !t.Pending && t.Date >= d-10 && merchants[t.Merchant].Weight > 0 {
			cands = append(cands, int32(i))
		}
	}
	for range nMod {
		if len(cands) == 0 {
			return
		}
		idx := cands[r.IntN(len(cands))]
		kind := r.IntN(4)
		it.modify(idx, func(t *txn) {
			switch kind {
			case 0: // amount corrected
				delta := max(t.Amount*between(r, 5, 20)/100, 1)
				if r.IntN(2) == 0 {
					delta = -delta
				}
				t.Amount += delta
			case 1: // date corrected
				if t.Date < d {
					t.Date++
				} else {
					t.Date--
				}
			case 2: // cleaned-up name
				t.Name = merchants[t.Merchant].Name + " #" + strconv.Itoa(int(between(r, 100, 999)))
			case 3: // reclassified
				t.Category = int16(otherCategory(r, int(t.Category)))
			}
		})
		sum.Modified++
	}
	for range nRem {
		if len(cands) == 0 {
			return
		}
		k := r.IntN(len(cands))
		it.remove(cands[k])
		cands = append(cands[:k], cands[k+1:]...)
		sum.Removed++
	}
}

// otherCategory picks a category with a different primary than cur, or now
// and then none at all.
func otherCategory(r *rand.Rand, cur int) int {
	if cur != noCategory && chance(r, 0.15) {
		return noCategory
	}
	for {
		c := firstPurchaseCat + r.IntN(lastPurchaseCat-firstPurchaseCat+1)
		if cur == noCategory || categories[c].Primary != categories[cur].Primary {
			return c
		}
	}
}
