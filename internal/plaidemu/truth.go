package plaidemu

// UncategorizedKey is the AccountTruth.Categories key for transactions whose
// personal_finance_category is null.
const UncategorizedKey = "UNCATEGORIZED"

// GroundTruth is what Plaid holds now, which is what a complete sync of
// every live item returns.
type GroundTruth struct {
	Today    string      `json:"today"`
	Count    int         `json:"count"`     // all live transactions of all live items (pending included)
	SumCents int64       `json:"sum_cents"` // sum of their amounts in cents (Plaid's sign)
	Items    []ItemTruth `json:"items"`
}

// ItemTruth is one live item.
type ItemTruth struct {
	Name            string         `json:"name"`
	ItemID          string         `json:"item_id"`
	InstitutionID   string         `json:"institution_id"`
	InstitutionName string         `json:"institution"`
	Error           string         `json:"error"` // "" or the Plaid error code
	Accounts        []AccountTruth `json:"accounts"`
	// Liabilities is what /liabilities/get says today, one per credit card
	// and loan; empty when the item has none.
	Liabilities []LiabilityTruth `json:"liabilities,omitempty"`
	// Holdings is what /investments/holdings/get says today.
	Holdings []HoldingTruth `json:"holdings,omitempty"`
	// InvestmentTransactions are the live ones /investments/transactions/get
	// lists, in date order.
	InvestmentTransactions []InvestmentTxnTruth `json:"investment_transactions,omitempty"`
}

// AccountTruth is one account with the totals of its live transactions.
type AccountTruth struct {
	AccountID    string                   `json:"account_id"`
	Name         string                   `json:"name"`
	Mask         string                   `json:"mask"`
	Type         string                   `json:"type"`
	Subtype      string                   `json:"subtype"`
	Currency     string                   `json:"currency"`
	Count        int                      `json:"count"` // live transactions (pending included)
	PendingCount int                      `json:"pending_count"`
	SumCents     int64                    `json:"sum_cents"`
	Categories   map[string]CategoryTruth `json:"categories"` // by personal_finance_category.primary (v1)
	// DetailedCategories totals personal_finance_category.detailed per
	// taxonomy: "v1" and "v2" (UncategorizedKey for none).
	DetailedCategories map[string]map[string]CategoryTruth `json:"detailed_categories"`
	// CategoriesV2 is Categories in the v2 taxonomy.
	CategoriesV2 map[string]CategoryTruth `json:"categories_v2"`
	Balances     Balances                 `json:"balances"`
}

// CategoryTruth totals one primary category of an account.
type CategoryTruth struct {
	Count    int   `json:"count"`
	SumCents int64 `json:"sum_cents"`
}

// Balances are an account's balances as Plaid reports them (nil = null).
type Balances struct {
	Current   *float64 `json:"current"`
	Available *float64 `json:"available"`
	Limit     *float64 `json:"limit"`
}

// GroundTruth returns what Plaid holds now.
func (e *Emulator) GroundTruth() GroundTruth {
	e.mu.Lock()
	defer e.mu.Unlock()
	gt := GroundTruth{Today: e.today.String(), Items: []ItemTruth{}}
	for _, it := range e.items {
		if it.removed {
			continue
		}
		itr := ItemTruth{Name: it.Name, ItemID: it.ID, InstitutionID: it.Inst.ID, InstitutionName: it.Inst.Name,
			Error: it.errCode, Accounts: make([]AccountTruth, len(it.Accounts))}
		for i, a := range it.Accounts {
			itr.Accounts[i] = AccountTruth{AccountID: a.ID, Name: a.Name, Mask: a.Mask, Type: a.Type,
				Subtype: a.Subtype, Currency: a.Currency, Categories: map[string]CategoryTruth{},
				CategoriesV2:       map[string]CategoryTruth{},
				DetailedCategories: map[string]map[string]CategoryTruth{PFCv1: {}, PFCv2: {}},
				Balances:           a.balance().toBalances()}
		}
		for i := range it.txns {
			t := &it.txns[i]
			if !t.live() || it.hidden(t) {
				continue
			}
			at := &itr.Accounts[t.Acct]
			at.Count++
			at.SumCents += t.Amount
			if t.Pending {
				at.PendingCount++
			}
			add := func(m map[string]CategoryTruth, key string) {
				c := m[key]
				c.Count++
				c.SumCents += t.Amount
				m[key] = c
			}
			if t.Category == noCategory {
				add(at.Categories, UncategorizedKey)
				add(at.CategoriesV2, UncategorizedKey)
				add(at.DetailedCategories[PFCv1], UncategorizedKey)
				add(at.DetailedCategories[PFCv2], UncategorizedKey)
			} else {
				add(at.Categories, categories[t.Category].Primary)
				add(at.CategoriesV2, categoriesV2[t.Category].Primary)
				add(at.DetailedCategories[PFCv1], categories[t.Category].Detailed)
				add(at.DetailedCategories[PFCv2], categoriesV2[t.Category].Detailed)
			}
			gt.Count++
			gt.SumCents += t.Amount
		}
		for i, a := range it.Accounts {
			if a.isLiability() {
				itr.Liabilities = append(itr.Liabilities, it.liabilityTruth(i, e.today))
			}
		}
		itr.Holdings = it.holdingsTruth()
		itr.InvestmentTransactions = it.investmentTxnsTruth()
		gt.Items = append(gt.Items, itr)
	}
	return gt
}

func (b balance) toBalances() Balances {
	var out Balances
	if b.HasCurrent {
		out.Current = centsPtr(b.Current)
	}
	if b.HasAvailable {
		out.Available = centsPtr(b.Available)
	}
	if b.HasLimit {
		out.Limit = centsPtr(b.Limit)
	}
	return out
}

func cents(c int64) float64 { return float64(c) / 100 }

func centsPtr(c int64) *float64 {
	f := cents(c)
	return &f
}
