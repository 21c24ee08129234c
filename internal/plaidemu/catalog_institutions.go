package plaidemu

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

func institutionByID(id string) *institution {
	for _, in := range institutions {
		if in.ID == id {
			return in
		}
	}
	return nil
}
