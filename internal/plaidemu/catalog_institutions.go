package plaidemu

import "slices"

// institution is a bank the emulator knows, with the ids and names Plaid's
// sandbox and production use.
type institution struct {
	ID        string
	Name      string
	Short     string // used in suggested item names: "Test <Short>"
	URL       string
	Color     string
	Routing   []string
	OAuth     bool
	NoPending bool // sends posted transactions only, as some banks do
	Consent   bool // items carry a consent_expiration_time
	// Countries are the country codes the institution serves; nil = US.
	Countries []string
	// Currency of the item's accounts; "" = USD.
	Currency string
	// BalanceNeedsMinUpdated: /accounts/balance/get needs
	// options.min_last_updated_datetime when the item holds a
	// non-depository account, and real-time balances carry
	// last_updated_datetime (Capital One).
	BalanceNeedsMinUpdated bool
	// Products the institution supports; nil = institutionProducts.
	Products []string
}

// institutionProducts are the products an institution supports unless it
// says otherwise, as /institutions/get_by_id lists them.
var institutionProducts = []string{"assets", "auth", "balance", "transactions", "identity", "investments", "liabilities"}

func (in *institution) products() []string {
	if in.Products == nil {
		return institutionProducts
	}
	return in.Products
}

func (in *institution) supports(product string) bool { return slices.Contains(in.products(), product) }

func (in *institution) countries() []string {
	if len(in.Countries) == 0 {
		return []string{"US"}
	}
	return in.Countries
}

func (in *institution) currency() string {
	if in.Currency == "" {
		return "USD"
	}
	return in.Currency
}

// servesAny says whether the institution serves one of codes.
func (in *institution) servesAny(codes []string) bool {
	for _, c := range in.countries() {
		if slices.Contains(codes, c) {
			return true
		}
	}
	return false
}

// institutions in the order pre-seeded items use them.
var institutions = []*institution{
	{ID: "ins_3", Name: "Chase", Short: "Chase", URL: "https://www.chase.com", Color: "#095aa6",
		Routing: []string{"021000021", "322271627"}, OAuth: true, Consent: true},
	{ID: "ins_10", Name: "American Express", Short: "Amex", URL: "https://www.americanexpress.com", Color: "#1f6fc5",
		Routing: []string{"124085066"}, OAuth: true},
	{ID: "ins_4", Name: "Wells Fargo", Short: "Wells", URL: "https://www.wellsfargo.com", Color: "#d41c2c",
		Routing: []string{"121000248", "091000019"}, OAuth: true},
	{ID: "ins_5", Name: "Citi", Short: "Citi", URL: "https://www.citi.com", Color: "#0066b2",
		Routing: []string{"021000089", "322271724"}, OAuth: true},
	{ID: "ins_109508", Name: "First Platypus Bank", Short: "Platypus", URL: "https://plaid.com", Color: "#1f1f1f",
		Routing: []string{"011401533"}},
	{ID: "ins_109509", Name: "First Gingham Credit Union", Short: "Gingham", URL: "https://plaid.com", Color: "#c6a86b",
		Routing: []string{"021200339"}},
	{ID: "ins_109510", Name: "Tattersall Federal Credit Union", Short: "Tattersall", URL: "https://plaid.com", Color: "#6b8e23",
		Routing: []string{"031302955"}, NoPending: true},
	{ID: "ins_109511", Name: "Tartan Bank", Short: "Tartan", URL: "https://plaid.com", Color: "#8b0000",
		Routing: []string{"111000025"}},
	{ID: "ins_109512", Name: "Houndstooth Bank", Short: "Houndstooth", URL: "https://plaid.com", Color: "#333333",
		Routing: []string{"021000322"}},
}

// moreInstitutions can be linked but are not used by pre-seeded items, so
// the pre-seeded data stays as it was. The non-US ones are the emulator's
// own banks; their ids are not Plaid's.
var moreInstitutions = []*institution{
	{ID: "ins_128026", Name: "Capital One", Short: "Capital One", URL: "https://www.capitalone.com", Color: "#004977",
		Routing: []string{"056073502", "051405515"}, OAuth: true, BalanceNeedsMinUpdated: true,
		Products: []string{"assets", "auth", "balance", "transactions", "identity", "liabilities"}},
	{ID: "ins_900101", Name: "Maple Leaf Savings", Short: "Maple Leaf", URL: "https://plaid.com", Color: "#c8102e",
		Routing: []string{}, Countries: []string{"CA"}, Currency: "CAD",
		Products: []string{"auth", "balance", "transactions", "identity"}},
	{ID: "ins_900102", Name: "Thames Building Society", Short: "Thames", URL: "https://plaid.com", Color: "#00205b",
		Routing: []string{}, Countries: []string{"GB"}, Currency: "GBP", OAuth: true, Consent: true},
	{ID: "ins_900103", Name: "Banque de la Seine", Short: "Seine", URL: "https://plaid.com", Color: "#0055a4",
		Routing: []string{}, Countries: []string{"FR"}, Currency: "EUR", OAuth: true, Consent: true},
	{ID: "ins_900104", Name: "Rheinbank", Short: "Rheinbank", URL: "https://plaid.com", Color: "#ffce00",
		Routing: []string{}, Countries: []string{"DE"}, Currency: "EUR", OAuth: true, Consent: true},
}

// allInstitutions is every institution Link offers, in display order.
var allInstitutions = slices.Concat(institutions, moreInstitutions)

func institutionByID(id string) *institution {
	for _, in := range allInstitutions {
		if in.ID == id {
			return in
		}
	}
	return nil
}
