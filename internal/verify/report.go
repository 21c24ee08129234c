package verify

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
)

// WriteText prints the report as a table a person can read: one row per
// account, "ledger ≠ influxdb" where the two differ, then the differences it
// names and one sentence of verdict.
func (r *Report) WriteText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tACCOUNT\tLIVE\tIDS\tSUM\tPENDING\tMISSING\tCHANGED\tORPHANS\tBALANCE\t")
	for _, a := range r.Accounts {
		name := a.Account
		if name == "" || name == a.AccountID {
			name = a.AccountID
		} else {
			name = fmt.Sprintf("%s (%s)", a.Account, a.AccountID)
		}
		if a.Measurement == ledger.InvestmentMeasurement {
			name = "investments: " + name
		}
		balance := "-"
		if a.Balance != nil {
			balance = fmt.Sprintf("%.2f", a.Balance.Current)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t\n", a.Item, name,
			pair(a.Ledger.Live, a.InfluxDB.Live, count), pair(a.Ledger.IDs, a.InfluxDB.IDs, count),
			pair(a.Ledger.SumCents, a.InfluxDB.SumCents, money), pair(a.Ledger.Pending, a.InfluxDB.Pending, count),
			a.Missing, a.Changed, orphans(a), balance)
	}
	tw.Flush()
	var named []string
	for _, a := range r.Accounts {
		for _, d := range a.Differences {
			line := fmt.Sprintf("  %-7s  %s / %s  %s  %s", d.Kind, a.Item, a.AccountID, d.Time.Format("2006-01-02"), d.TransactionID)
			switch d.Kind {
			case "missing":
				line += "  ledger: " + d.Ledger
			case "orphan":
				line += "  influxdb: " + d.InfluxDB
			default:
				line += fmt.Sprintf("  ledger: %s, influxdb: %s", d.Ledger, d.InfluxDB)
			}
			named = append(named, line)
		}
	}
	if len(named) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Differences (the first of each kind per account):")
		for _, l := range named {
			fmt.Fprintln(w, l)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, r.Verdict())
}

// Verdict is the report in one sentence.
func (r *Report) Verdict() string {
	if r.Agree {
		return fmt.Sprintf("InfluxDB %q agrees with the ledger: %d points of %d accounts in %d items, checked in %s.",
			r.Database, r.Points, len(r.Accounts), r.Items, r.Elapsed.Round(10e6))
	}
	missing, changed, orphans, accounts := r.Totals()
	return fmt.Sprintf("InfluxDB %q differs from the ledger in %d of %d accounts: %d missing, %d changed, %d orphan points.",
		r.Database, accounts, len(r.Accounts), missing, changed, orphans)
}

func orphans(a *Account) string {
	if a.RetractedOrphans == 0 {
		return strconv.Itoa(a.Orphans)
	}
	return fmt.Sprintf("%d (+%d retracted)", a.Orphans, a.RetractedOrphans)
}

func count(v int64) string { return strconv.FormatInt(v, 10) }

func money(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

func pair(ledger, influx int64, f func(int64) string) string {
	if ledger == influx {
		return f(ledger)
	}
	return f(ledger) + " ≠ " + f(influx)
}

// Legend explains the table's columns; printed under -help.
var Legend = strings.TrimSpace(`
A row is an account's plaid_transaction points, or its
plaid_investment_transaction points ("investments:"). LIVE and IDS count
live points and distinct transaction ids, SUM adds up amount to the cent,
PENDING counts pending live points: "ledger ≠ influxdb" where they differ. MISSING points are in the ledger and not in InfluxDB,
CHANGED are in both with another amount, pending, removed or transaction id,
ORPHANS are live points InfluxDB has and the ledger does not ("retracted":
already tombstones). BALANCE is the latest plaid_balance current value.`)
