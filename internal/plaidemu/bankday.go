package plaidemu

import (
	"math/rand/v2"
	"strconv"
)

// runBankDay applies day d's activity to the item. Live days (after the
// item was linked) send purchases through pending first and correct or
// remove recent transactions; history days (end = the link date) create
// what a client sees on its first sync.
func (e *Emulator) runBankDay(it *item, d, end day, live bool, sum *AdvanceSummary) {
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
	it.investDay(e.cfg.Seed, d)
	it.bankDay = d
}

func applyActivity(it *item, a activity, d, end day, live bool, sum *AdvanceSummary) {
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
func settlePendings(it *item, d day, sum *AdvanceSummary) {
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
func changeRecent(it *item, d day, r *rand.Rand, sum *AdvanceSummary) {
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
			case 1: // date corrected, never before the authorization
				switch {
				case t.Date < d:
					t.Date++
				case t.Date > t.AuthDate:
					t.Date--
				default:
					t.Name = merchants[t.Merchant].Name + " #" + strconv.Itoa(int(between(r, 100, 999)))
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
