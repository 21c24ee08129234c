//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// The queries a user runs to check the plugin against the bank. sum(amount)
// needs no filter (tombstones are written with amount 0); live transactions
// are counted with removed = false.
const (
	qLiveByAccount     = `SELECT count("transaction_id") FROM "plaid_transaction" WHERE "removed" = false GROUP BY "item", "account_id"`
	qPendingByAccount  = `SELECT count("transaction_id") FROM "plaid_transaction" WHERE "removed" = false AND "pending" = true GROUP BY "item", "account_id"`
	qDistinctByAccount = `SELECT count(distinct("transaction_id")) FROM "plaid_transaction" WHERE "removed" = false GROUP BY "item", "account_id"`
	qSumByAccount      = `SELECT sum("amount") FROM "plaid_transaction" GROUP BY "item", "account_id"`
	qLiveByCategory    = `SELECT count("transaction_id") FROM "plaid_transaction" WHERE "removed" = false GROUP BY "item", "account_id", "category"`
	qSumByCategory     = `SELECT sum("amount") FROM "plaid_transaction" GROUP BY "item", "account_id", "category"`
	qLiveTotal         = `SELECT count("transaction_id") FROM "plaid_transaction" WHERE "removed" = false`
	qSumTotal          = `SELECT sum("amount") FROM "plaid_transaction"`
	qLatestBalances    = `SELECT last("current") AS "current", last("available") AS "available", last("limit") AS "limit" FROM "plaid_balance" GROUP BY "item", "account_id"`
	qItemStatus        = `SELECT last("status") AS "status", last("login_required") AS "login_required", last("update_command") AS "update_command" FROM "plaid_item" GROUP BY "item"`
)

type acctKey struct{ item, account string }

type catKey struct{ item, account, category string }

// compare runs the queries and lists every difference from Plaid's ground
// truth: per account the live count, the pending ones, distinct ids and
// sum(amount) to the cent, the same per category, totals, latest balances and item status.
func (p *pipeline) compare(gt plaidemu.GroundTruth) []string {
	p.t.Helper()
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	live := map[acctKey]int64{}
	for _, s := range p.query(qLiveByAccount) {
		live[acctKey{s.Tags["item"], s.Tags["account_id"]}] = asInt(s.Values[0][1])
	}
	pending := map[acctKey]int64{}
	for _, s := range p.query(qPendingByAccount) {
		pending[acctKey{s.Tags["item"], s.Tags["account_id"]}] = asInt(s.Values[0][1])
	}
	distinct := map[acctKey]int64{}
	for _, s := range p.query(qDistinctByAccount) {
		distinct[acctKey{s.Tags["item"], s.Tags["account_id"]}] = asInt(s.Values[0][1])
	}
	sums := map[acctKey]int64{}
	for _, s := range p.query(qSumByAccount) {
		sums[acctKey{s.Tags["item"], s.Tags["account_id"]}] = asCents(s.Values[0][1])
	}
	catLive := map[catKey]int64{}
	for _, s := range p.query(qLiveByCategory) {
		catLive[catKey{s.Tags["item"], s.Tags["account_id"], s.Tags["category"]}] = asInt(s.Values[0][1])
	}
	catSums := map[catKey]int64{}
	for _, s := range p.query(qSumByCategory) {
		catSums[catKey{s.Tags["item"], s.Tags["account_id"], s.Tags["category"]}] = asCents(s.Values[0][1])
	}
	balances := map[acctKey]series{}
	for _, s := range p.query(qLatestBalances) {
		balances[acctKey{s.Tags["item"], s.Tags["account_id"]}] = s
	}
	items := map[string]series{}
	for _, s := range p.query(qItemStatus) {
		items[s.Tags["item"]] = s
	}

	known := map[acctKey]bool{}
	knownCat := map[catKey]bool{}
	for _, it := range gt.Items {
		for _, a := range it.Accounts {
			k := acctKey{it.Name, a.AccountID}
			known[k] = true
			where := fmt.Sprintf("%s / %s (%s)", it.Name, a.Name, a.AccountID)
			if got := live[k]; got != int64(a.Count) {
				add("%s: InfluxDB counts %d live transactions, Plaid holds %d", where, got, a.Count)
			}
			if got := pending[k]; got != int64(a.PendingCount) {
				add("%s: InfluxDB counts %d live pending transactions, Plaid holds %d", where, got, a.PendingCount)
			}
			if got := distinct[k]; got != int64(a.Count) {
				add("%s: InfluxDB has %d distinct live transaction ids, Plaid holds %d transactions", where, got, a.Count)
			}
			if got := sums[k]; got != a.SumCents {
				add("%s: sum(amount) is %s in InfluxDB, %s at Plaid", where, centsString(got), centsString(a.SumCents))
			}
			for cat, want := range a.Categories {
				ck := catKey{it.Name, a.AccountID, cat}
				knownCat[ck] = true
				if got := catLive[ck]; got != int64(want.Count) {
					add("%s, category %s: InfluxDB counts %d live transactions, Plaid holds %d", where, cat, got, want.Count)
				}
				if got := catSums[ck]; got != want.SumCents {
					add("%s, category %s: sum(amount) is %s in InfluxDB, %s at Plaid", where, cat, centsString(got), centsString(want.SumCents))
				}
			}
			problems = append(problems, compareBalances(where, balances[k], a.Balances)...)
		}
		problems = append(problems, p.compareItem(it, items[it.Name])...)
	}
	// Whatever InfluxDB holds beyond Plaid's accounts and categories must
	// add up to nothing: a stale category after a recategorisation, say.
	for k, n := range live {
		if !known[k] && n != 0 {
			add("%s / %s: InfluxDB counts %d live transactions of an account Plaid does not hold", k.item, k.account, n)
		}
	}
	for k, c := range sums {
		if !known[k] && c != 0 {
			add("%s / %s: sum(amount) %s for an account Plaid does not hold", k.item, k.account, centsString(c))
		}
	}
	for k, n := range catLive {
		if !knownCat[k] && n != 0 {
			add("%s / %s, category %s: InfluxDB counts %d live transactions, Plaid holds none", k.item, k.account, k.category, n)
		}
	}
	for k, c := range catSums {
		if !knownCat[k] && c != 0 {
			add("%s / %s, category %s: sum(amount) %s in InfluxDB, Plaid holds none", k.item, k.account, k.category, centsString(c))
		}
	}

	var total, totalSum int64
	if s := p.query(qLiveTotal); len(s) > 0 {
		total = asInt(s[0].Values[0][1])
	}
	if s := p.query(qSumTotal); len(s) > 0 {
		totalSum = asCents(s[0].Values[0][1])
	}
	if total != int64(gt.Count) {
		add("all items: InfluxDB counts %d live transactions, Plaid holds %d", total, gt.Count)
	}
	if totalSum != gt.SumCents {
		add("all items: sum(amount) is %s in InfluxDB, %s at Plaid", centsString(totalSum), centsString(gt.SumCents))
	}
	sort.Strings(problems)
	return problems
}

func compareBalances(where string, s series, want plaidemu.Balances) []string {
	var problems []string
	if s.Columns == nil {
		return []string{where + ": no plaid_balance in InfluxDB"}
	}
	for _, f := range []struct {
		name string
		want *float64
	}{{"current", want.Current}, {"available", want.Available}, {"limit", want.Limit}} {
		got := s.column(f.name)
		var v any
		if len(got) > 0 {
			v = got[0]
		}
		switch {
		case f.want == nil && v != nil:
			problems = append(problems, fmt.Sprintf("%s: latest %s balance is %v in InfluxDB, Plaid reports none", where, f.name, v))
		case f.want != nil && v == nil:
			problems = append(problems, fmt.Sprintf("%s: no %s balance in InfluxDB, Plaid reports %.2f", where, f.name, *f.want))
		case f.want != nil && asCents(v) != int64(math.Round(*f.want*100)):
			problems = append(problems, fmt.Sprintf("%s: latest %s balance is %v in InfluxDB, Plaid reports %.2f", where, f.name, v, *f.want))
		}
	}
	return problems
}

// compareItem checks plaid_item: the status, and for a broken login the
// flag and the command that repairs it.
func (p *pipeline) compareItem(it plaidemu.ItemTruth, s series) []string {
	if s.Columns == nil {
		return []string{fmt.Sprintf("%s: no plaid_item in InfluxDB", it.Name)}
	}
	var problems []string
	status := fmt.Sprint(s.column("status")[0])
	if want := expectedStatus(it); status != want {
		problems = append(problems, fmt.Sprintf("%s: plaid_item status %s, Plaid says %s", it.Name, status, want))
	}
	loginRequired := it.Error == "ITEM_LOGIN_REQUIRED"
	if got := s.column("login_required")[0]; got != loginRequired {
		problems = append(problems, fmt.Sprintf("%s: plaid_item login_required %v, expected %v", it.Name, got, loginRequired))
	}
	wantCommand := ""
	if loginRequired {
		wantCommand = p.updateCommand(it.Name)
	}
	if got := fmt.Sprint(s.column("update_command")[0]); got != wantCommand {
		problems = append(problems, fmt.Sprintf("%s: plaid_item update_command %q, expected %q", it.Name, got, wantCommand))
	}
	return problems
}

// updateCommand is the repair command plaid_item must show for an item.
func (p *pipeline) updateCommand(item string) string {
	return p.tools.linktool + " -c " + shellQuote(p.iniPath) + " --update '" + strings.ReplaceAll(item, "'", `'\''`) + "'"
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			panic(fmt.Sprintf("InfluxDB returned %q where a number was expected", x))
		}
		return f
	case float64:
		return x
	case nil:
		return 0
	}
	panic(fmt.Sprintf("InfluxDB returned %T %v where a number was expected", v, v))
}

func asInt(v any) int64 { return int64(math.Round(asFloat(v))) }

// asCents rounds a sum of float amounts to cents: InfluxDB adds float64s,
// whose error over a few thousand amounts stays far below half a cent.
func asCents(v any) int64 { return int64(math.Round(asFloat(v) * 100)) }

func centsString(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}
