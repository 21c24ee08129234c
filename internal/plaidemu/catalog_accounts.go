package plaidemu

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Account names per kind. Several are deliberately awkward for encoders:
// quotes, commas, backslashes (one trailing), '=' signs, emoji, non-Latin.
var accountNames = map[accountKind][]string{
	kindChecking:    {`Joint Checking, "Main"`, "Everyday Checking", "Total Checking", "普通預金 (Futsū)", `Checking \ Bills\`},
	kindSavings:     {"High-Yield Savings", "Сберегательный счёт", "Rainy Day = Fund", "Savings 🐷"},
	kindCredit:      {`Sapphire "Reserve"`, "Platinum Card®", "Cash Rewards, Visa", "بطاقة ائتمان"},
	kindInvestment:  {`Brokerage \ Index Funds`, "Roth IRA"},
	kindStudentLoan: {`Student Loan "Stafford"`},
	kindMortgage:    {"Mortgage 30y, Fixed"},
}

// foreignAccounts are the foreign-currency accounts an item may hold.
var foreignAccounts = []struct{ Name, Currency, Subtype string }{
	{"Épargne = 💶", "EUR", "savings"},
	{"Current Account £", "GBP", "checking"},
	{"Compte chèques CAD", "CAD", "checking"},
}

// security is an instrument held in investment accounts.
type security struct {
	Ticker string
	Name   string
	Type   string // Plaid security type: etf, equity, mutual fund, cash
	Price  int64  // cents
	ISIN   string
	CUSIP  string
	Cash   bool
	ID     string
}

var securities = []security{
	{Ticker: "VTI", Name: "Vanguard Total Stock Market ETF", Type: "etf", Price: 28512, ISIN: "US9229087690", CUSIP: "922908769"},
	{Ticker: "VXUS", Name: "Vanguard Total International Stock ETF", Type: "etf", Price: 6340, ISIN: "US9219097683", CUSIP: "921909768"},
	{Ticker: "BND", Name: "Vanguard Total Bond Market ETF", Type: "etf", Price: 7285, ISIN: "US9219378356", CUSIP: "921937835"},
	{Ticker: "AAPL", Name: "Apple Inc.", Type: "equity", Price: 22748, ISIN: "US0378331005", CUSIP: "037833100"},
	{Ticker: "MSFT", Name: "Microsoft Corporation", Type: "equity", Price: 43016, ISIN: "US5949181045", CUSIP: "594918104"},
	{Ticker: "VFIAX", Name: "Vanguard 500 Index Fund Admiral Shares", Type: "mutual fund", Price: 52033, ISIN: "US9229087104", CUSIP: "922908710"},
	{Ticker: "CUR:USD", Name: "U S Dollar", Type: "cash", Price: 100, Cash: true},
}

func init() {
	for i := range securities {
		securities[i].ID = plaidID(newRand(uint64(i), 0x7365637572697479))
	}
}

// holding is a position in an investment account.
type holding struct {
	Security   int
	Quantity   float64
	ValueCents int64
	CostCents  int64
}

// accountLayout chooses an item's account kinds: the first three items
// show every kind between them; later ones are drawn at random.
func accountLayout(index int, r *rand.Rand) []accountKind {
	switch index {
	case 0:
		return []accountKind{kindChecking, kindSavings, kindCredit}
	case 1:
		return []accountKind{kindChecking, kindCredit, kindForeign, kindInvestment}
	case 2:
		if r.IntN(2) == 0 {
			return []accountKind{kindChecking, kindSavings, kindStudentLoan}
		}
		return []accountKind{kindChecking, kindSavings, kindMortgage}
	}
	kinds := []accountKind{kindChecking}
	for _, opt := range []struct {
		kind accountKind
		p    float64
	}{{kindCredit, 0.75}, {kindSavings, 0.7}, {kindForeign, 0.2}, {kindInvestment, 0.2}, {kindStudentLoan, 0.1}, {kindMortgage, 0.1}} {
		if len(kinds) < 4 && chance(r, opt.p) {
			kinds = append(kinds, opt.kind)
		}
	}
	if len(kinds) == 1 {
		kinds = append(kinds, kindSavings)
	}
	return kinds
}

// newAccounts builds an item's accounts with names, masks and terms. need
// are kinds the person holds at least one of (Link made them pick one).
func newAccounts(index int, inst *institution, r *rand.Rand, ids *idStream, need []accountKind) []*account {
	kinds := accountLayout(index, r)
	for _, k := range need {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	used := map[string]bool{}
	var out []*account
	for _, k := range kinds {
		a := &account{ID: ids.next(), Kind: k, Mask: fmt.Sprintf("%04d", r.IntN(10000)), Currency: inst.currency()}
		switch k {
		case kindForeign:
			f := foreignAccounts[0]
			if index != 1 {
				f = foreignAccounts[r.IntN(len(foreignAccounts))]
			}
			a.Name, a.Currency, a.Type, a.Subtype = f.Name, f.Currency, "depository", f.Subtype
		default:
			names := accountNames[k]
			name := names[0]
			if index > 0 || k != kindChecking {
				name = names[r.IntN(len(names))]
			}
			for used[name] && len(names) > 1 {
				name = names[r.IntN(len(names))]
			}
			a.Name = name
		}
		used[a.Name] = true
		switch k {
		case kindChecking:
			a.Type, a.Subtype = "depository", "checking"
			a.OfficialName = inst.Name + " Checking"
		case kindSavings:
			a.Type, a.Subtype = "depository", "savings"
			a.OfficialName = inst.Name + " Savings"
		case kindForeign:
			a.OfficialName = inst.Name + " " + a.Currency + " Account"
		case kindCredit:
			a.Type, a.Subtype = "credit", "credit card"
			a.OfficialName = inst.Name + " Rewards Card"
			a.LimitCents = between(r, 20, 120) * 25000
		case kindInvestment:
			a.Type, a.Subtype = "investment", "brokerage"
			if a.Name == "Roth IRA" {
				a.Subtype = "roth"
			}
			a.OfficialName = inst.Name + " Investments"
			a.Holdings = newHoldings(r)
		case kindStudentLoan:
			a.Type, a.Subtype = "loan", "student"
			a.OfficialName = "Federal Direct Subsidized Loan"
			a.Loan = loanTerms{APR: 4.53, Principal: between(r, 150, 600) * 10000, PaymentCents: between(r, 2500, 4500) * 10}
		case kindMortgage:
			a.Type, a.Subtype = "loan", "mortgage"
			a.OfficialName = inst.Name + " Home Lending"
			a.Loan = loanTerms{APR: 6.125, Principal: between(r, 2500, 6000) * 10000, PaymentCents: between(r, 1500, 2800) * 100}
		}
		out = append(out, a)
	}
	return out
}

func newHoldings(r *rand.Rand) []holding {
	n := 3 + r.IntN(3)
	picked := r.Perm(len(securities) - 1)[:n]
	hs := make([]holding, 0, n+1)
	for _, s := range picked {
		qty := float64(between(r, 1000, 200000)) / 1000
		value := int64(qty*float64(securities[s].Price) + 0.5)
		hs = append(hs, holding{Security: s, Quantity: qty, ValueCents: value, CostCents: value * between(r, 60, 110) / 100})
	}
	cash := between(r, 10000, 500000)
	hs = append(hs, holding{Security: len(securities) - 1, Quantity: float64(cash) / 100, ValueCents: cash, CostCents: cash})
	return hs
}
