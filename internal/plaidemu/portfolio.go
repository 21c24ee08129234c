package plaidemu

import (
	"math"
	"time"
)

// Prices move every day, the same for every item and seed: a slow drift
// with two waves whose phase differs by security, so that portfolios rise
// and fall over weeks. Cash is always 1.00.
var priceEpoch = dayOf(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

func securityPrice(s int, d day) int64 {
	sec := &securities[s]
	if sec.Cash {
		return sec.Price
	}
	x := float64(d - priceEpoch)
	phase := 1.3 * float64(s)
	factor := 1 + 0.0002*x + 0.06*math.Sin(2*math.Pi*x/47+phase) + 0.02*math.Sin(2*math.Pi*x/9+2*phase)
	return int64(math.Round(float64(sec.Price) * factor))
}

// invTxn is one investment transaction in Plaid's terms: amount is
// positive when cash leaves the account (a buy, a fee), quantity negative
// on a sell.
type invTxn struct {
	ID       string
	Acct     uint8
	Security int // -1 for none (fees)
	Date     day
	Type     string // buy, sell, cash, fee, transfer, cancel
	Subtype  string
	Name     string
	Quantity float64
	Price    int64 // cents
	Amount   int64 // cents
	Fees     int64 // cents
	Removed  bool
}

const (
	dividendDay    = 1
	buyDay         = 15
	sellDay        = 20
	accountFeeDay  = 28
	accountFee     = 250 // cents
	tradeFeeCents  = 495
	buyShareOfCash = 30 // percent of the cash a monthly buy spends
)

// investDay applies day d's trades to the item's investment accounts and
// values every holding at d's prices. A dividend on the 1st, a buy on the
// 15th, a sell every other month on the 20th, the account fee on the 28th.
func (it *item) investDay(seed int64, d day) {
	dom := d.dayOfMonth()
	for ai, a := range it.Accounts {
		if a.Kind != kindInvestment || len(a.Holdings) < 2 {
			continue
		}
		cash := &a.Holdings[len(a.Holdings)-1] // newHoldings puts cash last
		first := &a.Holdings[0]
		price := securityPrice(first.Security, d)
		add := func(t invTxn) {
			t.ID = plaidID(newRand(uint64(seed), streamInvestments, uint64(it.Index), uint64(d), uint64(ai), uint64(len(it.invTxns))))
			t.Acct, t.Date = uint8(ai), d
			it.invTxns = append(it.invTxns, t)
			cash.Quantity = math.Round(cash.Quantity*100-float64(t.Amount+t.Fees)) / 100
			cash.CostCents -= t.Amount + t.Fees
		}
		switch {
		case dom == dividendDay:
			div := first.ValueCents / 400
			if div > 0 {
				add(invTxn{Security: first.Security, Type: "cash", Subtype: "dividend", Amount: -div,
					Name: "DIVIDEND " + securities[first.Security].Ticker})
			}
		case dom == buyDay:
			n := math.Floor(cash.Quantity * 100 * buyShareOfCash / 100 / float64(price))
			if n >= 1 {
				cost := int64(n) * price
				first.Quantity += n
				first.CostCents += cost
				add(invTxn{Security: first.Security, Type: "buy", Subtype: "buy", Quantity: n, Price: price,
					Amount: cost, Fees: tradeFeeCents, Name: "BUY " + securities[first.Security].Name})
			}
		case dom == sellDay && d.time().Month()%2 == 0 && first.Quantity > 1:
			basis := int64(math.Round(float64(first.CostCents) / first.Quantity))
			first.Quantity--
			first.CostCents -= basis
			add(invTxn{Security: first.Security, Type: "sell", Subtype: "sell", Quantity: -1, Price: price,
				Amount: -price, Fees: tradeFeeCents, Name: "SELL " + securities[first.Security].Name})
		case dom == accountFeeDay:
			add(invTxn{Security: -1, Type: "fee", Subtype: "account fee", Amount: accountFee, Name: "ACCOUNT MAINTENANCE FEE"})
		}
		for i := range a.Holdings {
			h := &a.Holdings[i]
			h.ValueCents = int64(math.Round(h.Quantity * float64(securityPrice(h.Security, d))))
		}
	}
}

// HoldingTruth is one position as /investments/holdings/get reports it.
type HoldingTruth struct {
	AccountID  string  `json:"account_id"`
	SecurityID string  `json:"security_id"`
	Ticker     string  `json:"ticker"`
	Type       string  `json:"security_type"`
	Name       string  `json:"security_name"`
	Quantity   float64 `json:"quantity"`
	Price      float64 `json:"institution_price"`
	Value      float64 `json:"institution_value"`
	CostBasis  float64 `json:"cost_basis"`
	PriceAsOf  string  `json:"price_as_of"`
	Currency   string  `json:"currency"`
}

func (it *item) holdingsTruth() []HoldingTruth {
	var out []HoldingTruth
	for _, a := range it.Accounts {
		if a.Kind != kindInvestment {
			continue
		}
		for _, h := range a.Holdings {
			s := &securities[h.Security]
			out = append(out, HoldingTruth{AccountID: a.ID, SecurityID: s.ID, Ticker: s.Ticker, Type: s.Type, Name: s.Name,
				Quantity: h.Quantity, Price: cents(securityPrice(h.Security, it.bankDay)), Value: cents(h.ValueCents),
				CostBasis: cents(h.CostCents), PriceAsOf: it.bankDay.String(), Currency: a.Currency})
		}
	}
	return out
}
