package plaidemu_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// liabilitiesOf reads /liabilities/get through plaid-go, keyed by account.
func liabilitiesOf(t *testing.T, client *plaid.APIClient, token string) (map[string]*plaid.CreditCardLiability, map[string]*plaid.StudentLoan, map[string]*plaid.MortgageLiability) {
	t.Helper()
	resp, _, err := client.PlaidApi.LiabilitiesGet(testContext(t)).LiabilitiesGetRequest(*plaid.NewLiabilitiesGetRequest(token)).Execute()
	require.NoError(t, err)
	credit, student, mortgage := map[string]*plaid.CreditCardLiability{}, map[string]*plaid.StudentLoan{}, map[string]*plaid.MortgageLiability{}
	lb := resp.GetLiabilities()
	for _, c := range lb.GetCredit() {
		credit[c.GetAccountId()] = &c
	}
	for _, s := range lb.GetStudent() {
		student[s.GetAccountId()] = &s
	}
	for _, m := range lb.GetMortgage() {
		mortgage[m.AccountId] = &m
	}
	return credit, student, mortgage
}

func TestLiabilitiesMatchGroundTruth(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, Items: 3, HistoryDays: 90})
	gt := emu.GroundTruth()
	kinds := map[string]int{}
	for _, info := range emu.Items() {
		want := itemByName(t, gt, info.Name)
		if len(want.Liabilities) == 0 {
			continue
		}
		credit, student, mortgage := liabilitiesOf(t, client, info.AccessToken)
		for _, lt := range want.Liabilities {
			kinds[lt.Kind]++
			t.Logf("%s %s %s: statement %s balance %.2f minimum %.2f due %s overdue %v",
				info.Name, lt.Kind, lt.AccountID, lt.LastStatementDate, lt.LastStatementBalance, lt.MinimumPayment, lt.NextPaymentDueDate, lt.IsOverdue)
			switch lt.Kind {
			case "credit":
				c := credit[lt.AccountID]
				require.Equal(t, lt.LastStatementDate, c.GetLastStatementIssueDate())
				require.Equal(t, lt.LastStatementBalance, c.GetLastStatementBalance())
				require.Equal(t, lt.MinimumPayment, c.GetMinimumPaymentAmount())
				require.Equal(t, lt.NextPaymentDueDate, c.GetNextPaymentDueDate())
				require.Equal(t, lt.IsOverdue, c.GetIsOverdue())
				require.Equal(t, lt.APR, c.GetAprs()[0].AprPercentage)
				require.Equal(t, "purchase_apr", c.GetAprs()[0].AprType)
			case "student":
				s := student[lt.AccountID]
				require.Equal(t, lt.LastStatementBalance, s.GetLastStatementBalance())
				require.Equal(t, lt.NextPaymentDueDate, s.GetNextPaymentDueDate())
				require.Equal(t, lt.APR, s.InterestRatePercentage)
				require.Equal(t, lt.ExpectedPayoffDate, s.GetExpectedPayoffDate())
				require.Equal(t, lt.YTDPrincipalPaid, s.GetYtdPrincipalPaid())
			case "mortgage":
				m := mortgage[lt.AccountID]
				require.Equal(t, lt.NextPaymentDueDate, m.GetNextPaymentDueDate())
				require.Equal(t, lt.APR, m.InterestRate.GetPercentage())
				require.Equal(t, *lt.EscrowBalance, m.GetEscrowBalance())
				require.Equal(t, lt.PastDueAmount, m.GetPastDueAmount())
			}
			require.False(t, lt.IsOverdue, "autopay pays every statement by its due date")
		}
	}
	require.Equal(t, 2, kinds["credit"], "items 0 and 1 have a card")
	require.Equal(t, 1, kinds["student"]+kinds["mortgage"], "item 2 has a loan")
}

// TestCardStatementRolls checks the statement against the bank's own
// records: the balance owed on the statement date is today's balance less
// the card's posted transactions dated after it.
func TestCardStatementRolls(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, Items: 1, HistoryDays: 90})
	info := emu.Items()[0]
	cardID := ""
	for _, a := range itemByName(t, emu.GroundTruth(), info.Name).Accounts {
		if a.Type == "credit" {
			cardID = a.AccountID
		}
	}
	require.NotEmpty(t, cardID)
	check := func(wantStatement string) *plaid.CreditCardLiability {
		t.Helper()
		credit, _, _ := liabilitiesOf(t, client, info.AccessToken)
		c := credit[cardID]
		require.Equal(t, wantStatement, c.GetLastStatementIssueDate())
		l := newLedger()
		syncItem(t, client, info.AccessToken, 500, l, nil)
		acct := l.accounts[cardID]
		owed := toCents(acct.Balances.GetCurrent())
		for _, tx := range l.txns {
			if tx.AccountId == cardID && !tx.Pending && tx.Date > wantStatement {
				owed -= toCents(tx.Amount)
			}
		}
		require.Equal(t, owed, toCents(c.GetLastStatementBalance()), "statement balance is what was owed on %s", wantStatement)
		t.Logf("statement %s: balance %.2f, minimum %.2f, due %s", wantStatement, c.GetLastStatementBalance(), c.GetMinimumPaymentAmount(), c.GetNextPaymentDueDate())
		return c
	}
	// fixedToday is 2026-03-14: the statement of February 28 is due March 25.
	first := check("2026-02-28")
	require.Equal(t, "2026-03-25", first.GetNextPaymentDueDate())
	advanceTo(t, emu, "2026-03-27")
	paid := check("2026-02-28")
	require.Equal(t, "2026-04-25", paid.GetNextPaymentDueDate(), "paid: the next due date is shown")
	require.Equal(t, "2026-03-25", paid.GetLastPaymentDate())
	advanceTo(t, emu, "2026-03-28")
	rolled := check("2026-03-28")
	require.Equal(t, "2026-04-25", rolled.GetNextPaymentDueDate())
	require.NotEqual(t, first.GetLastStatementBalance(), rolled.GetLastStatementBalance())
}

func advanceTo(t *testing.T, emu *plaidemu.Emulator, date string) {
	t.Helper()
	target, err := time.Parse(time.DateOnly, date)
	require.NoError(t, err)
	today, err := time.Parse(time.DateOnly, emu.GroundTruth().Today)
	require.NoError(t, err)
	days := int(target.Sub(today).Hours() / 24)
	require.Positive(t, days)
	_, err = emu.Advance(days)
	require.NoError(t, err)
}

func TestPaymentBecomesOverdue(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, Items: 3, HistoryDays: 90})
	items := emu.Items()
	for _, it := range items {
		require.NoError(t, emu.SetAutopay(it.Name, false))
	}
	require.Error(t, emu.SetAutopay("no-such-item", false))
	// The statements of February are due March 25 (card) and April 5 (loans).
	advanceTo(t, emu, "2026-03-25")
	for _, it := range emu.GroundTruth().Items {
		for _, lt := range it.Liabilities {
			require.False(t, lt.IsOverdue, "%s %s: not overdue on its due date", it.Name, lt.Kind)
		}
	}
	advanceTo(t, emu, "2026-03-26")
	gt := emu.GroundTruth()
	card := gt.Items[0].Liabilities[0]
	require.Equal(t, "credit", card.Kind)
	require.True(t, card.IsOverdue, "the card's minimum was not paid by March 25")
	require.Equal(t, "2026-03-25", card.NextPaymentDueDate, "the missed due date stays shown")
	require.Equal(t, card.MinimumPayment, card.PastDueAmount)
	credit, _, _ := liabilitiesOf(t, client, items[0].AccessToken)
	require.True(t, credit[card.AccountID].GetIsOverdue())
	loan := gt.Items[2].Liabilities[0]
	require.False(t, loan.IsOverdue, "the loan is due April 5")
	t.Logf("card overdue by %.2f; loan %s due %s", card.PastDueAmount, loan.Kind, loan.NextPaymentDueDate)

	// The next statement rolls; the missed one keeps the card overdue.
	advanceTo(t, emu, "2026-04-06")
	gt = emu.GroundTruth()
	require.True(t, gt.Items[0].Liabilities[0].IsOverdue)
	require.Equal(t, "2026-03-28", gt.Items[0].Liabilities[0].LastStatementDate)
	loan = gt.Items[2].Liabilities[0]
	require.True(t, loan.IsOverdue, "the loan missed April 5")
	require.Equal(t, loan.MinimumPayment, loan.PastDueAmount)
	if loan.Kind == "mortgage" {
		_, _, mortgage := liabilitiesOf(t, client, items[2].AccessToken)
		require.Equal(t, loan.PastDueAmount, mortgage[loan.AccountID].GetPastDueAmount())
		require.Positive(t, mortgage[loan.AccountID].GetCurrentLateFee())
	}

	// Autopay back on: the card is paid on its next due date and is current.
	require.NoError(t, emu.SetAutopay(items[0].Name, true))
	advanceTo(t, emu, "2026-04-25")
	require.False(t, emu.GroundTruth().Items[0].Liabilities[0].IsOverdue)
}

func TestSetAPR(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 5, Items: 1, HistoryDays: 30})
	info := emu.Items()[0]
	card := emu.GroundTruth().Items[0].Liabilities[0]
	require.Equal(t, 22.99, card.APR)
	require.NoError(t, emu.SetAPR(info.Name, card.AccountID, 24.49))
	credit, _, _ := liabilitiesOf(t, client, info.AccessToken)
	require.Equal(t, 24.49, credit[card.AccountID].GetAprs()[0].AprPercentage)
	require.Error(t, emu.SetAPR(info.Name, card.AccountID, 0))
	require.Error(t, emu.SetAPR(info.Name, "acct-unknown", 5))
}

// The controls are reachable over HTTP, for the emulator binary.
func TestLiabilityAndInvestmentControlsOverHTTP(t *testing.T) {
	emu, _ := startEmulator(t, plaidemu.Config{Seed: 5, Items: 2, HistoryDays: 60})
	items := emu.Items()
	post := func(path, body string) (int, string) {
		t.Helper()
		status, out, _ := rawCall(t, emu.URL(), http.MethodPost, path, body, false)
		return status, string(out)
	}
	status, out := post("/emulator/autopay", `{"item":"`+items[0].Name+`","on":false}`)
	require.Equal(t, http.StatusOK, status, out)
	card := emu.GroundTruth().Items[0].Liabilities[0]
	status, out = post("/emulator/apr", `{"item":"`+items[0].Name+`","account_id":"`+card.AccountID+`","apr_percentage":19.5}`)
	require.Equal(t, http.StatusOK, status, out)
	require.Equal(t, 19.5, emu.GroundTruth().Items[0].Liabilities[0].APR)
	advanceTo(t, emu, "2026-03-26")
	require.True(t, emu.GroundTruth().Items[0].Liabilities[0].IsOverdue, "autopay off over HTTP")

	inv := emu.GroundTruth().Items[1].InvestmentTransactions
	status, out = post("/emulator/investment_transactions/correct", `{"item":"`+items[1].Name+`","investment_transaction_id":"`+inv[0].ID+`","amount":-1.25}`)
	require.Equal(t, http.StatusOK, status, out)
	status, out = post("/emulator/investment_transactions/remove", `{"item":"`+items[1].Name+`","investment_transaction_id":"`+inv[1].ID+`"}`)
	require.Equal(t, http.StatusOK, status, out)
	after := emu.GroundTruth().Items[1].InvestmentTransactions
	require.Len(t, after, len(inv)-1+countNewSince(inv, after))
	require.Equal(t, -1.25, after[0].Amount)

	status, out = post("/emulator/autopay", `{"on":true}`)
	require.Equal(t, http.StatusBadRequest, status, out)
	require.Contains(t, out, "is required (an item name")
	status, out = post("/emulator/investment_transactions/remove", `{"item":"`+items[1].Name+`","investment_transaction_id":"nope"}`)
	require.Equal(t, http.StatusNotFound, status, out)
	status, out = post("/emulator/apr", `{"item":"`+items[0].Name+`","colour":"red"}`)
	require.Equal(t, http.StatusBadRequest, status, out)
}

// countNewSince counts the transactions in after that before lacked (the
// days advanced add some).
func countNewSince(before, after []plaidemu.InvestmentTxnTruth) int {
	known := map[string]bool{}
	for _, b := range before {
		known[b.ID] = true
	}
	n := 0
	for _, a := range after {
		if !known[a.ID] {
			n++
		}
	}
	return n
}
