package plaidemu

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// JSON shapes of Plaid's responses. Every field plaid-go's models mark
// required is always present, as null when empty.

type wireTxn struct {
	AccountID               string          `json:"account_id"`
	AccountOwner            *string         `json:"account_owner"`
	Amount                  float64         `json:"amount"`
	AuthorizedDate          *string         `json:"authorized_date"`
	AuthorizedDatetime      *string         `json:"authorized_datetime"`
	Category                []string        `json:"category"`
	CategoryID              *string         `json:"category_id"`
	CheckNumber             *string         `json:"check_number"`
	Counterparties          []wireCounterpt `json:"counterparties"`
	Date                    string          `json:"date"`
	Datetime                *string         `json:"datetime"`
	IsoCurrencyCode         *string         `json:"iso_currency_code"`
	Location                wireLocation    `json:"location"`
	LogoURL                 *string         `json:"logo_url"`
	MerchantEntityID        *string         `json:"merchant_entity_id"`
	MerchantName            *string         `json:"merchant_name"`
	Name                    string          `json:"name"`
	OriginalDescription     *string         `json:"original_description"`
	PaymentChannel          string          `json:"payment_channel"`
	PaymentMeta             wirePaymentMeta `json:"payment_meta"`
	Pending                 bool            `json:"pending"`
	PendingTransactionID    *string         `json:"pending_transaction_id"`
	PersonalFinanceCategory *wirePFC        `json:"personal_finance_category"`
	PFCIconURL              *string         `json:"personal_finance_category_icon_url,omitempty"`
	TransactionCode         *string         `json:"transaction_code"`
	TransactionID           string          `json:"transaction_id"`
	TransactionType         string          `json:"transaction_type"`
	UnofficialCurrencyCode  *string         `json:"unofficial_currency_code"`
	Website                 *string         `json:"website"`
}

type wireCounterpt struct {
	Name            string  `json:"name"`
	Type            string  `json:"type"`
	Website         *string `json:"website"`
	LogoURL         *string `json:"logo_url"`
	EntityID        *string `json:"entity_id"`
	ConfidenceLevel string  `json:"confidence_level"`
}

type wireLocation struct {
	Address     *string  `json:"address"`
	City        *string  `json:"city"`
	Region      *string  `json:"region"`
	PostalCode  *string  `json:"postal_code"`
	Country     *string  `json:"country"`
	Lat         *float64 `json:"lat"`
	Lon         *float64 `json:"lon"`
	StoreNumber *string  `json:"store_number"`
}

type wirePaymentMeta struct {
	ByOrderOf        *string `json:"by_order_of"`
	Payee            *string `json:"payee"`
	Payer            *string `json:"payer"`
	PaymentMethod    *string `json:"payment_method"`
	PaymentProcessor *string `json:"payment_processor"`
	PpdID            *string `json:"ppd_id"`
	Reason           *string `json:"reason"`
	ReferenceNumber  *string `json:"reference_number"`
}

type wirePFC struct {
	Primary         string `json:"primary"`
	Detailed        string `json:"detailed"`
	ConfidenceLevel string `json:"confidence_level"`
	Version         string `json:"version"`
}

type wireRemoved struct {
	TransactionID string `json:"transaction_id"`
	AccountID     string `json:"account_id"`
}

type wireAccount struct {
	AccountID      string       `json:"account_id"`
	Balances       wireBalances `json:"balances"`
	Mask           *string      `json:"mask"`
	Name           string       `json:"name"`
	OfficialName   *string      `json:"official_name"`
	Type           string       `json:"type"`
	Subtype        *string      `json:"subtype"`
	HolderCategory string       `json:"holder_category"`
	VerifyStatus   *string      `json:"verification_status,omitempty"`
}

type wireBalances struct {
	Available              *float64         `json:"available"`
	Current                *float64         `json:"current"`
	Limit                  *float64         `json:"limit"`
	IsoCurrencyCode        *string          `json:"iso_currency_code"`
	UnofficialCurrencyCode *string          `json:"unofficial_currency_code"`
	LastUpdatedDatetime    *string          `json:"last_updated_datetime"`
	MarginLoanAmount       *json.RawMessage `json:"margin_loan_amount,omitempty"`
}

type wireItem struct {
	ItemID                string     `json:"item_id"`
	InstitutionID         *string    `json:"institution_id"`
	InstitutionName       *string    `json:"institution_name"`
	Webhook               *string    `json:"webhook"`
	AuthMethod            *string    `json:"auth_method"`
	Error                 *errorBody `json:"error"`
	AvailableProducts     []string   `json:"available_products"`
	BilledProducts        []string   `json:"billed_products"`
	Products              []string   `json:"products"`
	ConsentedProducts     []string   `json:"consented_products"`
	ConsentExpirationTime *string    `json:"consent_expiration_time"`
	UpdateType            string     `json:"update_type"`
	CreatedAt             *string    `json:"created_at,omitempty"`
}

var jsonNull = json.RawMessage("null")

func strPtr(s string) *string { return &s }

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return strPtr(rfc3339(t))
}

// txnView is a transaction copied out of the ledger with what rendering
// needs, so encoding happens without holding the emulator's lock.
type txnView struct {
	t        txn
	acctID   string
	currency string
}

// wire renders the transaction with categories of PFC version pfc.
func (v *txnView) wire(originalDescription bool, pfc string) wireTxn {
	t := &v.t
	m := &merchants[t.Merchant]
	w := wireTxn{
		AccountID:       v.acctID,
		Amount:          cents(t.Amount),
		AuthorizedDate:  strPtr(t.AuthDate.String()),
		Counterparties:  []wireCounterpt{},
		Date:            t.Date.String(),
		IsoCurrencyCode: strPtr(v.currency),
		MerchantName:    optStr(m.MerchantName),
		Name:            t.Name,
		PaymentChannel:  m.Channel,
		Pending:         t.Pending,
		TransactionID:   t.ID,
		TransactionType: map[string]string{"in store": "place", "online": "digital"}[m.Channel],
		Website:         optStr(m.Website),
	}
	if w.TransactionType == "" {
		w.TransactionType = "special"
	}
	if t.PendingID != "" {
		w.PendingTransactionID = strPtr(t.PendingID)
	}
	if t.Category != noCategory {
		c := taxonomy(pfc)[t.Category]
		w.PersonalFinanceCategory = &wirePFC{Primary: c.Primary, Detailed: c.Detailed, ConfidenceLevel: confidence(t), Version: pfc}
		w.PFCIconURL = strPtr("https://plaid-category-icons.plaid.com/PFC_" + c.Primary + ".png")
	}
	if m.Website != "" {
		logo := "https://plaid-merchant-logos.plaid.com/" + strings.TrimSuffix(strings.SplitN(m.Website, ".", 2)[0], "-") + ".png"
		w.LogoURL = strPtr(logo)
	}
	if m.MerchantName != "" {
		w.MerchantEntityID = strPtr(m.EntityID)
		w.Counterparties = append(w.Counterparties, wireCounterpt{Name: m.MerchantName, Type: "merchant",
			Website: w.Website, LogoURL: w.LogoURL, EntityID: w.MerchantEntityID, ConfidenceLevel: "VERY_HIGH"})
	}
	if len(m.Places) > 0 && int(t.Place) < len(m.Places) {
		p := m.Places[t.Place]
		w.Location = wireLocation{Address: optStr(p.Address), City: optStr(p.City), Region: optStr(p.Region),
			PostalCode: optStr(p.Postal), Country: optStr(p.Country), Lat: &p.Lat, Lon: &p.Lon, StoreNumber: optStr(p.Store)}
	}
	if originalDescription {
		d := m.PendingName
		if d == "" {
			d = strings.ToUpper(m.Name)
		}
		w.OriginalDescription = strPtr(d)
	}
	return w
}

// confidence varies Plaid's confidence level a little, by transaction.
func confidence(t *txn) string {
	switch t.ID[0] % 4 {
	case 0:
		return "HIGH"
	case 1:
		return "MEDIUM"
	}
	return "VERY_HIGH"
}

// accountWire renders an account with its current balances. Callers hold
// e.mu. lastUpdated is set for real-time balance answers only.
func accountWire(a *account, lastUpdated time.Time) wireAccount {
	b := a.balance().toBalances()
	w := wireAccount{
		AccountID:      a.ID,
		Mask:           optStr(a.Mask),
		Name:           a.Name,
		OfficialName:   optStr(a.OfficialName),
		Type:           a.Type,
		Subtype:        optStr(a.Subtype),
		HolderCategory: "personal",
		Balances: wireBalances{Available: b.Available, Current: b.Current, Limit: b.Limit,
			IsoCurrencyCode: strPtr(a.Currency), LastUpdatedDatetime: timePtr(lastUpdated)},
	}
	if a.Kind == kindInvestment {
		w.Balances.MarginLoanAmount = &jsonNull
	}
	return w
}

func (e *Emulator) accountsWire(it *item, only map[string]bool, lastUpdated time.Time) []wireAccount {
	out := []wireAccount{}
	for _, a := range it.Accounts {
		if only == nil || only[a.ID] {
			out = append(out, accountWire(a, lastUpdated))
		}
	}
	return out
}

// itemWire renders an item. Callers hold e.mu.
func (e *Emulator) itemWire(it *item, withCreated bool) wireItem {
	available := []string{}
	for _, p := range it.Inst.products() {
		if !slices.Contains(it.products, p) {
			available = append(available, p)
		}
	}
	w := wireItem{
		ItemID:            it.ID,
		InstitutionID:     strPtr(it.Inst.ID),
		InstitutionName:   strPtr(it.Inst.Name),
		Webhook:           optStr(it.Webhook),
		AvailableProducts: available,
		BilledProducts:    slices.Clone(it.products),
		Products:          slices.Clone(it.products),
		ConsentedProducts: slices.Clone(it.consented),
		UpdateType:        "background",
	}
	if !it.consent.IsZero() {
		w.ConsentExpirationTime = timePtr(it.consent)
	}
	if it.errCode != "" {
		b := it.itemError().body("")
		w.Error = &b
	}
	if withCreated {
		w.CreatedAt = timePtr(it.created)
	}
	return w
}

// zeroTime leaves balances' last_updated_datetime null (cached balances).
var zeroTime time.Time
