package plaidemu

type wireHolding struct {
	AccountID              string   `json:"account_id"`
	SecurityID             string   `json:"security_id"`
	InstitutionPrice       float64  `json:"institution_price"`
	InstitutionPriceAsOf   *string  `json:"institution_price_as_of"`
	InstitutionValue       float64  `json:"institution_value"`
	CostBasis              *float64 `json:"cost_basis"`
	Quantity               float64  `json:"quantity"`
	IsoCurrencyCode        *string  `json:"iso_currency_code"`
	UnofficialCurrencyCode *string  `json:"unofficial_currency_code"`
}

type wireSecurity struct {
	SecurityID             string    `json:"security_id"`
	ISIN                   *string   `json:"isin"`
	CUSIP                  *string   `json:"cusip"`
	SEDOL                  *string   `json:"sedol"`
	InstitutionSecurityID  *string   `json:"institution_security_id"`
	InstitutionID          *string   `json:"institution_id"`
	ProxySecurityID        *string   `json:"proxy_security_id"`
	Name                   *string   `json:"name"`
	TickerSymbol           *string   `json:"ticker_symbol"`
	IsCashEquivalent       bool      `json:"is_cash_equivalent"`
	Type                   *string   `json:"type"`
	ClosePrice             *float64  `json:"close_price"`
	ClosePriceAsOf         *string   `json:"close_price_as_of"`
	IsoCurrencyCode        *string   `json:"iso_currency_code"`
	UnofficialCurrencyCode *string   `json:"unofficial_currency_code"`
	MarketIdentifierCode   *string   `json:"market_identifier_code"`
	Sector                 *string   `json:"sector"`
	Industry               *string   `json:"industry"`
	CfiCode                *string   `json:"cfi_code"`
	OptionContract         *struct{} `json:"option_contract"`
	FixedIncome            *struct{} `json:"fixed_income"`
}

type holdingsResponse struct {
	Accounts   []wireAccount  `json:"accounts"`
	Holdings   []wireHolding  `json:"holdings"`
	Securities []wireSecurity `json:"securities"`
	Item       wireItem       `json:"item"`
	RequestID  string         `json:"request_id"`
}

func (e *Emulator) investmentsHoldingsGet(c *call) (any, *apiError) {
	return e.withItem(c, e.productFinder(productInvestments), func(it *item) (any, *apiError) {
		resp := holdingsResponse{Accounts: []wireAccount{}, Holdings: []wireHolding{}, Securities: []wireSecurity{},
			Item: e.itemWire(it, false), RequestID: c.requestID}
		asOf := strPtr(it.bankDay.String()) // the bank's last day Plaid saw
		seen := map[int]bool{}
		for _, a := range it.Accounts {
			if a.Kind != kindInvestment {
				continue
			}
			resp.Accounts = append(resp.Accounts, accountWire(a, zeroTime))
			for _, h := range a.Holdings {
				s := securities[h.Security]
				cost := cents(h.CostCents)
				price := cents(securityPrice(h.Security, it.bankDay))
				resp.Holdings = append(resp.Holdings, wireHolding{AccountID: a.ID, SecurityID: s.ID, InstitutionPrice: price,
					InstitutionPriceAsOf: asOf, InstitutionValue: cents(h.ValueCents), CostBasis: &cost, Quantity: h.Quantity,
					IsoCurrencyCode: strPtr(a.Currency)})
				if !seen[h.Security] {
					seen[h.Security] = true
					resp.Securities = append(resp.Securities, wireSecurity{SecurityID: s.ID, ISIN: optStr(s.ISIN), CUSIP: optStr(s.CUSIP),
						Name: strPtr(s.Name), TickerSymbol: strPtr(s.Ticker), IsCashEquivalent: s.Cash, Type: strPtr(s.Type),
						ClosePrice: &price, ClosePriceAsOf: asOf, IsoCurrencyCode: strPtr(a.Currency)})
				}
			}
		}
		if len(resp.Accounts) == 0 {
			return nil, plaidErr("NO_INVESTMENT_ACCOUNTS")
		}
		return resp, nil
	})
}

type liabilitiesResponse struct {
	Accounts    []wireAccount `json:"accounts"`
	Item        wireItem      `json:"item"`
	Liabilities struct {
		Credit   []map[string]any `json:"credit"`
		Mortgage []map[string]any `json:"mortgage"`
		Student  []map[string]any `json:"student"`
	} `json:"liabilities"`
	RequestID string `json:"request_id"`
}

func (e *Emulator) liabilitiesGet(c *call) (any, *apiError) {
	return e.withItem(c, e.productFinder(productLiabilities), func(it *item) (any, *apiError) {
		resp := liabilitiesResponse{Accounts: []wireAccount{}, Item: e.itemWire(it, false), RequestID: c.requestID}
		resp.Liabilities.Credit, resp.Liabilities.Mortgage, resp.Liabilities.Student = []map[string]any{}, []map[string]any{}, []map[string]any{}
		for i, a := range it.Accounts {
			if !a.isLiability() {
				continue
			}
			resp.Accounts = append(resp.Accounts, accountWire(a, zeroTime))
			w := it.liabilityWire(i, e.today)
			switch a.Kind {
			case kindCredit:
				resp.Liabilities.Credit = append(resp.Liabilities.Credit, w)
			case kindStudentLoan:
				resp.Liabilities.Student = append(resp.Liabilities.Student, w)
			default:
				resp.Liabilities.Mortgage = append(resp.Liabilities.Mortgage, w)
			}
		}
		if len(resp.Accounts) == 0 {
			return nil, plaidErr("NO_LIABILITY_ACCOUNTS")
		}
		return resp, nil
	})
}
