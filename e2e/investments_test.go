//go:build e2e

package e2e

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestInvestmentsAndLiabilities: plaid_liability, plaid_holding and
// plaid_investment_transaction, read back from InfluxDB with InfluxQL,
// equal the emulator's ground truth; after a restated dividend and a
// withdrawn buy they still do.
func TestInvestmentsAndLiabilities(t *testing.T) {
	p := newPipeline(t, pipelineOptions{
		emulator: plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 60, TxPerDay: 3},
		pluginOptions: map[string]string{
			"liabilities_interval": `"1s"`, "holdings_interval": `"1s"`, "investment_transactions_interval": `"1s"`,
		},
	})
	start := time.Now()
	p.settle(start, 2*time.Minute)
	p.requireInvestmentsMatch()

	items := p.emu.Items()
	invested := items[1].Name
	var dividend, buy plaidemu.InvestmentTxnTruth
	for _, it := range p.emu.GroundTruth().Items {
		if it.Name != invested {
			continue
		}
		for _, tr := range it.InvestmentTransactions {
			switch tr.Subtype {
			case "dividend":
				dividend = tr
			case "buy":
				buy = tr
			}
		}
	}
	if dividend.ID == "" || buy.ID == "" {
		t.Fatalf("%s has no dividend or buy in 60 days", invested)
	}
	// The latest of each, inside the 30-day re-read window.
	if err := p.emu.CorrectInvestmentTransaction(invested, dividend.ID, dividend.Amount-3); err != nil {
		t.Fatal(err)
	}
	if err := p.emu.RemoveInvestmentTransaction(invested, buy.ID); err != nil {
		t.Fatal(err)
	}
	p.settleInvestments()
	p.requireInvestmentsMatch()
}

// settleInvestments waits until the removal's tombstone is in InfluxDB:
// the poll that saw both changes was written.
func (p *pipeline) settleInvestments() {
	p.t.Helper()
	err := waitFor(time.Minute, 500*time.Millisecond, func() (bool, error) {
		rows, err := p.influx.query(p.database, `SELECT count("amount") FROM "plaid_investment_transaction" WHERE "removed" = true`)
		return err == nil && len(rows) == 1 && asInt(rows[0].Values[0][1]) == 1, err
	})
	if err != nil {
		p.t.Fatalf("liability points after the change: %v", err)
	}
}

// requireInvestmentsMatch compares the three measurements with the ground
// truth through InfluxQL.
func (p *pipeline) requireInvestmentsMatch() plaidemu.GroundTruth {
	p.t.Helper()
	gt := p.emu.GroundTruth()
	loc, err := time.LoadLocation(testTimezone)
	if err != nil {
		p.t.Fatal(err)
	}
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Liabilities: the latest point per account.
	got := map[string][]any{}
	for _, s := range p.query(`SELECT last("minimum_payment_amount"), last("next_payment_due_date"), last("is_overdue"), last("days_until_due") FROM "plaid_liability" GROUP BY "item", "account_id", "kind"`) {
		got[s.Tags["account_id"]] = append(s.Values[0][1:], s.Tags["kind"], s.Tags["item"])
	}
	nLiab := 0
	for _, it := range gt.Items {
		for _, lt := range it.Liabilities {
			nLiab++
			g, ok := got[lt.AccountID]
			if !ok {
				bad("%s %s: no plaid_liability", it.Name, lt.AccountID)
				continue
			}
			due, _ := time.Parse(time.DateOnly, lt.NextPaymentDueDate)
			if asCents(asFloat(g[0])) != asCents(lt.MinimumPayment) || fmt.Sprint(g[1]) != lt.NextPaymentDueDate ||
				g[2] != lt.IsOverdue || asInt(g[3]) != int64(due.Sub(today).Hours()/24) || g[4] != lt.Kind || g[5] != it.Name {
				bad("%s %s: InfluxDB %v, Plaid minimum %.2f due %s overdue %v", it.Name, lt.AccountID, g, lt.MinimumPayment, lt.NextPaymentDueDate, lt.IsOverdue)
			}
		}
	}
	if len(got) != nLiab {
		bad("plaid_liability has %d accounts, Plaid %d", len(got), nLiab)
	}

	// Holdings: the latest value and quantity per account and security.
	holdings := map[string][]any{}
	for _, s := range p.query(`SELECT last("quantity"), last("institution_value") FROM "plaid_holding" GROUP BY "account_id", "security_id"`) {
		holdings[s.Tags["account_id"]+"/"+s.Tags["security_id"]] = s.Values[0][1:]
	}
	nHold := 0
	var portfolio float64
	for _, it := range gt.Items {
		for _, h := range it.Holdings {
			nHold++
			portfolio += h.Value
			g, ok := holdings[h.AccountID+"/"+h.SecurityID]
			if !ok || math.Abs(asFloat(g[0])-h.Quantity) > 1e-9 || asCents(asFloat(g[1])) != asCents(h.Value) {
				bad("holding %s %s: InfluxDB %v, Plaid %v x = %.2f", h.AccountID, h.Ticker, g, h.Quantity, h.Value)
			}
		}
	}
	if len(holdings) != nHold {
		bad("plaid_holding has %d positions, Plaid %d", len(holdings), nHold)
	}

	// Investment transactions: live count and sum per account.
	type total struct {
		n     int64
		cents int64
	}
	inv := map[string]total{}
	for _, s := range p.query(`SELECT count("amount"), sum("amount") FROM "plaid_investment_transaction" WHERE "removed" = false GROUP BY "account_id"`) {
		inv[s.Tags["account_id"]] = total{asInt(s.Values[0][1]), asCents(asFloat(s.Values[0][2]))}
	}
	want := map[string]total{}
	for _, it := range gt.Items {
		for _, tr := range it.InvestmentTransactions {
			w := want[tr.AccountID]
			w.n++
			w.cents += asCents(tr.Amount)
			want[tr.AccountID] = w
		}
	}
	for id, w := range want {
		if inv[id] != w {
			bad("investment transactions of %s: InfluxDB %+v, Plaid %+v", id, inv[id], w)
		}
	}
	if len(inv) != len(want) {
		bad("plaid_investment_transaction has %d accounts, Plaid %d", len(inv), len(want))
	}
	if len(problems) > 0 {
		p.t.Fatalf("InfluxDB differs from Plaid:\n  %s", joinLines(problems))
	}
	p.t.Logf("InfluxDB matches Plaid: %d liabilities, %d holdings worth %.2f, investment transactions %v", nLiab, nHold, portfolio, want)
	return gt
}

func joinLines(lines []string) string {
	out := ""
	for i, l := range limit(lines, 30) {
		if i > 0 {
			out += "\n  "
		}
		out += l
	}
	return out
}
