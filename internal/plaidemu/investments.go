package plaidemu

import "time"

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
	return e.withItem(c, e.dataItem, func(it *item) (any, *apiError) {
		resp := holdingsResponse{Accounts: []wireAccount{}, Holdings: []wireHolding{}, Securities: []wireSecurity{},
			Item: e.itemWire(it, false), RequestID: c.requestID}
		asOf := strPtr(e.today.String())
		seen := map[int]bool{}
		for _, a := range it.Accounts {
			if a.Kind != kindInvestment {
				continue
			}
			resp.Accounts = append(resp.Accounts, accountWire(a, zeroTime))
			for _, h := range a.Holdings {
				s := securities[h.Security]
				cost := cents(h.CostCents)
				resp.Holdings = append(resp.Holdings, wireHolding{AccountID: a.ID, SecurityID: s.ID, InstitutionPrice: cents(s.Price),
					InstitutionPriceAsOf: asOf, InstitutionValue: cents(h.ValueCents), CostBasis: &cost, Quantity: h.Quantity,
					IsoCurrencyCode: strPtr("USD")})
				if !seen[h.Security] {
					seen[h.Security] = true
					price := cents(s.Price)
					resp.Securities = append(resp.Securities, wireSecurity{SecurityID: s.ID, ISIN: optStr(s.ISIN), CUSIP: optStr(s.CUSIP),
						Name: strPtr(s.Name), TickerSymbol: strPtr(s.Ticker), IsCashEquivalent: s.Cash, Type: strPtr(s.Type),
						ClosePrice: &price, ClosePriceAsOf: asOf, IsoCurrencyCode: strPtr("USD")})
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
	return e.withItem(c, e.dataItem, func(it *item) (any, *apiError) {
		resp := liabilitiesResponse{Accounts: []wireAccount{}, Item: e.itemWire(it, false), RequestID: c.requestID}
		resp.Liabilities.Credit, resp.Liabilities.Mortgage, resp.Liabilities.Student = []map[string]any{}, []map[string]any{}, []map[string]any{}
		today := e.today
		nextDay := func(dom int) string { // next date with that day of month, after today
			t := today.time()
			next := time.Date(t.Year(), t.Month(), dom, 0, 0, 0, 0, time.UTC)
			if !next.After(t) {
				next = next.AddDate(0, 1, 0)
			}
			return next.Format(time.DateOnly)
		}
		prevDay := func(dom int) string {
			t := today.time()
			prev := time.Date(t.Year(), t.Month(), dom, 0, 0, 0, 0, time.UTC)
			if prev.After(t) {
				prev = prev.AddDate(0, -1, 0)
			}
			return prev.Format(time.DateOnly)
		}
		for i, a := range it.Accounts {
			if a.Kind != kindCredit && a.Kind != kindStudentLoan && a.Kind != kindMortgage {
				continue
			}
			resp.Accounts = append(resp.Accounts, accountWire(a, zeroTime))
			owed := a.Opening + a.Posted
			lastAmt, lastDate := lastPayment(it, i)
			switch a.Kind {
			case kindCredit:
				resp.Liabilities.Credit = append(resp.Liabilities.Credit, map[string]any{
					"account_id": a.ID,
					"aprs": []map[string]any{{"apr_percentage": 22.99, "apr_type": "purchase_apr",
						"balance_subject_to_apr": cents(max(owed, 0)), "interest_charge_amount": 0.0}},
					"is_overdue":                false,
					"last_payment_amount":       lastAmt,
					"last_payment_date":         lastDate,
					"last_statement_issue_date": prevDay(28),
					"last_statement_balance":    cents(owed),
					"minimum_payment_amount":    cents(max(min(owed, max(3500, owed/50)), 0)),
					"next_payment_due_date":     nextDay(25),
				})
			case kindStudentLoan:
				resp.Liabilities.Student = append(resp.Liabilities.Student, map[string]any{
					"account_id":                   a.ID,
					"account_number":               "4277075694",
					"disbursement_dates":           []string{a.Loan.OriginationDate.String()},
					"expected_payoff_date":         (a.Loan.OriginationDate + 3650).String(),
					"guarantor":                    "DEPT OF ED",
					"interest_rate_percentage":     a.Loan.APR,
					"is_overdue":                   false,
					"last_payment_amount":          lastAmt,
					"last_payment_date":            lastDate,
					"last_statement_balance":       cents(owed),
					"last_statement_issue_date":    prevDay(20),
					"loan_name":                    "Consolidation",
					"loan_status":                  map[string]any{"end_date": (a.Loan.OriginationDate + 3650).String(), "type": "repayment"},
					"minimum_payment_amount":       cents(a.Loan.PaymentCents),
					"next_payment_due_date":        nextDay(5),
					"origination_date":             a.Loan.OriginationDate.String(),
					"origination_principal_amount": cents(a.Loan.Principal),
					"outstanding_interest_amount":  0.0,
					"payment_reference_number":     "4277075694",
					"pslf_status":                  map[string]any{"estimated_eligibility_date": nil, "payments_made": nil, "payments_remaining": nil},
					"repayment_plan":               map[string]any{"description": "Standard Repayment", "type": "standard"},
					"sequence_number":              "1",
					"servicer_address": map[string]any{"city": "San Matias", "country": "US", "postal_code": "99415",
						"region": "CA", "street": "123 Relaxation Road"},
					"ytd_interest_paid":  0.0,
					"ytd_principal_paid": 0.0,
				})
			case kindMortgage:
				resp.Liabilities.Mortgage = append(resp.Liabilities.Mortgage, map[string]any{
					"account_id":                   a.ID,
					"account_number":               "3120194154",
					"current_late_fee":             0.0,
					"escrow_balance":               3141.54,
					"has_pmi":                      false,
					"has_prepayment_penalty":       false,
					"interest_rate":                map[string]any{"percentage": a.Loan.APR, "type": "fixed"},
					"last_payment_amount":          lastAmt,
					"last_payment_date":            lastDate,
					"loan_type_description":        "conventional",
					"loan_term":                    "30 year",
					"maturity_date":                (a.Loan.OriginationDate + 10957).String(),
					"next_monthly_payment":         cents(a.Loan.PaymentCents),
					"next_payment_due_date":        nextDay(5),
					"origination_date":             a.Loan.OriginationDate.String(),
					"origination_principal_amount": cents(a.Loan.Principal),
					"past_due_amount":              0.0,
					"property_address": map[string]any{"city": "Malakoff", "country": "US", "postal_code": "14236",
						"region": "NY", "street": "2992 Cameron Road"},
					"ytd_interest_paid":  0.0,
					"ytd_principal_paid": 0.0,
				})
			}
		}
		if len(resp.Accounts) == 0 {
			return nil, plaidErr("NO_LIABILITY_ACCOUNTS")
		}
		return resp, nil
	})
}

// lastPayment finds the latest payment into a credit or loan account, as
// (amount, date) or (nil, nil) when there was none.
func lastPayment(it *item, acct int) (any, any) {
	for i := len(it.txns) - 1; i >= 0; i-- {
		t := &it.txns[i]
		if int(t.Acct) == acct && t.live() && !t.Pending && t.Amount < 0 &&
			(int(t.Merchant) == mCardPaid || int(t.Merchant) == mLoanPaid) {
			return cents(-t.Amount), t.Date.String()
		}
	}
	return nil, nil
}
