//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

const dashboardPath = "dashboards/telegraf-plaid.json"

// grafanaDashboard is the part of Grafana's dashboard JSON model the test
// reads.
type grafanaDashboard struct {
	Inputs []struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		PluginID string `json:"pluginId"`
	} `json:"__inputs"`
	Panels     []grafanaPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Query      string `json:"query"`
			Multi      bool   `json:"multi"`
			IncludeAll bool   `json:"includeAll"`
			Current    struct {
				Value any `json:"value"`
			} `json:"current"`
			Options []struct {
				Value string `json:"value"`
			} `json:"options"`
		} `json:"list"`
	} `json:"templating"`
	Time struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
}

type grafanaPanel struct {
	ID         int               `json:"id"`
	Title      string            `json:"title"`
	Type       string            `json:"type"`
	Datasource map[string]string `json:"datasource"`
	Targets    []grafanaTarget   `json:"targets"`
	Panels     []grafanaPanel    `json:"panels"` // inside rows
	// GridPos places the panel in Grafana's 24-column grid.
	GridPos struct {
		H int `json:"h"`
		W int `json:"w"`
		X int `json:"x"`
		Y int `json:"y"`
	} `json:"gridPos"`
}

type grafanaTarget struct {
	RefID        string            `json:"refId"`
	RawQuery     bool              `json:"rawQuery"`
	Query        string            `json:"query"`
	ResultFormat string            `json:"resultFormat"`
	Alias        string            `json:"alias"`
	Datasource   map[string]string `json:"datasource"`
}

func loadDashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	var d grafanaDashboard
	if err := json.Unmarshal([]byte(repoFile(t, dashboardPath)), &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	return d
}

// allPanels flattens rows.
func (d grafanaDashboard) allPanels() []grafanaPanel {
	var out []grafanaPanel
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

// grafanaRange is what Grafana substitutes for a time range.
type grafanaRange struct {
	from, to time.Time
	// interval is $__interval: the range over the panel's data points,
	// rounded up to a round duration as Grafana does.
	interval string
}

func newGrafanaRange(from, to time.Time) grafanaRange {
	raw := to.Sub(from) / 1000
	steps := []struct {
		d    time.Duration
		name string
	}{
		{time.Second, "1s"}, {5 * time.Second, "5s"}, {10 * time.Second, "10s"}, {30 * time.Second, "30s"},
		{time.Minute, "1m"}, {5 * time.Minute, "5m"}, {10 * time.Minute, "10m"}, {30 * time.Minute, "30m"},
		{time.Hour, "1h"}, {3 * time.Hour, "3h"}, {6 * time.Hour, "6h"}, {12 * time.Hour, "12h"},
		{24 * time.Hour, "1d"}, {7 * 24 * time.Hour, "7d"},
	}
	for _, s := range steps {
		if s.d >= raw {
			return grafanaRange{from: from, to: to, interval: s.name}
		}
	}
	return grafanaRange{from: from, to: to, interval: "30d"}
}

// grafanaRegexEscape escapes a value for a regex as Grafana's InfluxDB data
// source does for multi-value variables.
func grafanaRegexEscape(s string) string {
	return regexp.MustCompile(`[\\^$*+?.()|{}\[\]/]`).ReplaceAllString(s, `\$0`)
}

var leftoverVariable = regexp.MustCompile(`\$\{?[A-Za-z_]|\[\[`)

// grafanaVars are the values of the dashboard's variables.
type grafanaVars struct {
	items    []string // $item: all of them, as "All" selects
	tz       string   // $tz
	currency string   // $currency
}

// interpolate substitutes the macros and variables of a panel query as
// Grafana does before sending it to InfluxDB: $timeFilter as epoch
// milliseconds, $__interval, the multi-value $item as a regex alternation,
// $tz and $currency as plain values.
func interpolate(t *testing.T, query string, r grafanaRange, v grafanaVars) string {
	t.Helper()
	escaped := make([]string, len(v.items))
	for i, it := range v.items {
		escaped[i] = grafanaRegexEscape(it)
	}
	itemValue := "(" + strings.Join(escaped, "|") + ")"
	q := strings.NewReplacer(
		"$timeFilter", fmt.Sprintf("time >= %dms and time <= %dms", r.from.UnixMilli(), r.to.UnixMilli()),
		"$__interval", r.interval,
		"${item}", itemValue, "[[item]]", itemValue, "$item", itemValue,
		"${tz}", v.tz, "[[tz]]", v.tz, "$tz", v.tz,
		"${currency}", v.currency, "[[currency]]", v.currency, "$currency", v.currency,
	).Replace(query)
	// What is left of "$" may only end a regex ("...$/").
	if m := leftoverVariable.FindString(strings.ReplaceAll(q, "$/", "")); m != "" {
		t.Fatalf("query uses a variable the dashboard does not define (%q): %s", m, query)
	}
	return q
}

// panelResult is a panel's query results: series per target.
type panelResult struct {
	panel  grafanaPanel
	series map[string][]series // by refId
}

// runDashboard runs every panel query of the dashboard over r.
func runDashboard(t *testing.T, p *pipeline, d grafanaDashboard, r grafanaRange, v grafanaVars) map[string]panelResult {
	t.Helper()
	out := map[string]panelResult{}
	for _, panel := range d.allPanels() {
		res := panelResult{panel: panel, series: map[string][]series{}}
		for _, target := range panel.Targets {
			q := interpolate(t, target.Query, r, v)
			s, err := p.influx.query(p.database, q)
			if err != nil {
				t.Fatalf("panel %q, query %s: %v", panel.Title, target.RefID, err)
			}
			res.series[target.RefID] = s
		}
		out[panel.Title] = res
	}
	return out
}

// lastValue is the last non-null value of a series' first value column.
func lastValue(s series) (float64, bool) {
	for i := len(s.Values) - 1; i >= 0; i-- {
		if v := s.Values[i][1]; v != nil {
			return asFloat(v), true
		}
	}
	return 0, false
}

func hasData(ss []series) bool {
	for _, s := range ss {
		for _, row := range s.Values {
			for _, v := range row[1:] {
				if v != nil {
					return true
				}
			}
		}
	}
	return false
}

// The dashboard in the repository: every panel query, with the variables
// substituted as Grafana would, runs against the test InfluxDB and returns
// data, and what it shows agrees with what the bank holds.
//
// It runs under both of Plaid's category taxonomies: v1, and v2 as a client
// that enabled Transactions from December 2025 gets it, with no option set.
func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	checkDashboardModel(t, d)
	for _, taxonomy := range []string{plaidemu.PFCv1, plaidemu.PFCv2} {
		t.Run("categories "+taxonomy, func(t *testing.T) {
			testDashboard(t, d, taxonomy, *renderDashboard && taxonomy == plaidemu.PFCv1)
		})
	}
}

func testDashboard(t *testing.T, d grafanaDashboard, taxonomy string, render bool) {
	start := time.Now()
	p := newPipeline(t, pipelineOptions{emulator: plaidemu.Config{Seed: 7, Items: 6, HistoryDays: 120, PFCVersion: taxonomy},
		pluginOptions: map[string]string{"liabilities_interval": `"1s"`, "holdings_interval": `"1s"`}})
	p.requireMatch(start, 2*time.Minute)
	backfilled := time.Now()
	// Days pass and balances move, one login breaks: every panel has
	// something to show.
	// The portfolio panel follows the prices: each of these holds until the
	// next advance.
	var portfolio []portfolioSnapshot
	for i := 0; i < 3; i++ {
		_, at := p.advance(2)
		if len(portfolio) > 0 {
			portfolio[len(portfolio)-1].to = at
		}
		p.settle(at, time.Minute)
		portfolio = append(portfolio, waitPortfolio(t, p, d, at))
	}
	portfolio[len(portfolio)-1].to = time.Now()
	broken := p.emu.Items()[2]
	p.plaidCall("/sandbox/item/reset_login", map[string]any{"access_token": broken.AccessToken})
	_, at := p.advance(1)
	gt := p.requireMatch(at, 2*time.Minute)

	items := templateValues(t, p, d, "item")
	var want []string
	for _, it := range gt.Items {
		want = append(want, it.Name)
	}
	sort.Strings(want)
	if strings.Join(items, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the $item variable lists %q, Plaid holds items %q", items, want)
	}
	currencies := templateValues(t, p, d, "currency")

	// The whole history, as a user picking a wide absolute range would,
	// once per currency.
	today, err := time.Parse(time.DateOnly, gt.Today)
	if err != nil {
		t.Fatal(err)
	}
	r := newGrafanaRange(today.AddDate(0, 0, -200), today.AddDate(0, 0, 2))
	byCurrency := map[string]map[string]panelResult{}
	for _, c := range currencies {
		results := runDashboard(t, p, d, r, grafanaVars{items: items, tz: testTimezone, currency: c})
		// Every query returns data for the default values; with another
		// currency a panel may have a query with nothing to add (no cards
		// in euros), but not a panel without data.
		for title, res := range results {
			panelHasData := false
			for ref, ss := range res.series {
				if hasData(ss) {
					panelHasData = true
				} else if c == "USD" {
					t.Errorf("panel %q, query %s returns no data", title, ref)
				}
			}
			if !panelHasData {
				t.Errorf("panel %q shows no data for $currency %s", title, c)
			}
		}
		byCurrency[c] = results
	}
	if t.Failed() {
		return
	}
	checkPanels(t, p, gt, byCurrency, broken.Name)
	checkPortfolioOverTime(t, p, d, portfolio)

	if taxonomy == plaidemu.PFCv2 {
		requireV2Categories(t, p)
	}
	if render {
		renderPanels(t, p, d, gt, grafanaVars{items: items, tz: testTimezone, currency: "USD"}, backfilled, filepath.Join(moduleRoot, "dashboards", "telegraf-plaid.png"))
	}
}

// templateValues runs a query variable's query, sorted as the variable
// sorts them.
func templateValues(t *testing.T, p *pipeline, d grafanaDashboard, name string) []string {
	t.Helper()
	for _, v := range d.Templating.List {
		if v.Name != name {
			continue
		}
		var values []string
		for _, s := range p.query(v.Query) {
			for _, row := range s.Values {
				values = append(values, fmt.Sprint(row[1]))
			}
		}
		if len(values) == 0 {
			t.Fatalf("the $%s variable's query lists nothing: %s", name, v.Query)
		}
		sort.Strings(values)
		return values
	}
	t.Fatalf("the dashboard has no variable %q", name)
	return nil
}

// checkDashboardModel checks what Grafana's import needs: one InfluxDB data
// source input used by every panel and query, raw InfluxQL queries, the
// variables the queries use, and the panels the dashboard promises.
func checkDashboardModel(t *testing.T, d grafanaDashboard) {
	t.Helper()
	if len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_INFLUXDB" || d.Inputs[0].PluginID != "influxdb" {
		t.Fatalf("the dashboard must declare one InfluxDB data source input DS_INFLUXDB, has %+v", d.Inputs)
	}
	for _, panel := range d.allPanels() {
		if panel.Datasource["uid"] != "${DS_INFLUXDB}" {
			t.Errorf("panel %q: data source %v, expected ${DS_INFLUXDB}", panel.Title, panel.Datasource)
		}
		if len(panel.Targets) == 0 {
			t.Errorf("panel %q has no query", panel.Title)
		}
		for _, target := range panel.Targets {
			if !target.RawQuery || strings.TrimSpace(target.Query) == "" {
				t.Errorf("panel %q, query %s: not a raw InfluxQL query", panel.Title, target.RefID)
			}
			if target.Datasource["uid"] != "${DS_INFLUXDB}" {
				t.Errorf("panel %q, query %s: data source %v", panel.Title, target.RefID, target.Datasource)
			}
		}
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		switch v.Name {
		case "item":
			if v.Type != "query" || !v.Multi || !v.IncludeAll {
				t.Errorf("$item must be a multi-value query variable with All, is %+v", v)
			}
		case "tz":
			for _, o := range v.Options {
				if _, err := time.LoadLocation(o.Value); err != nil {
					t.Errorf("$tz offers %q: %v", o.Value, err)
				}
			}
			if _, err := time.LoadLocation(fmt.Sprint(v.Current.Value)); err != nil {
				t.Errorf("$tz defaults to %v: %v", v.Current.Value, err)
			}
		}
	}
	if !vars["item"] || !vars["tz"] || !vars["currency"] {
		t.Errorf("the dashboard must define the variables item, tz and currency, has %v", vars)
	}
	titles := map[string]bool{}
	for _, panel := range d.allPanels() {
		titles[panel.Title] = true
	}
	for _, want := range []string{"Spending by category", "Cash flow by day ($tz)", "Top merchants", "Balances", "Net worth ($currency)",
		"Credit utilisation", "Item health", "Upcoming payments", "APRs and interest rates", "Portfolio allocation",
		"Gains against cost basis", portfolioPanel} {
		if !titles[want] {
			t.Errorf("the dashboard has no panel %q", want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// spendingExcluded are the categories that are not spending (and, less
// INCOME, not cash flow either), as the dashboard's queries say.
// They are matched by prefix, so that they hold in both of Plaid's
// category taxonomies (v2 adds loan and income categories).
func notSpending(cat string) bool { return strings.HasPrefix(cat, "INCOME") || notCashFlow(cat) }

func notCashFlow(cat string) bool {
	return strings.HasPrefix(cat, "TRANSFER_") || strings.HasPrefix(cat, "LOAN_")
}

// checkPanels compares what the panels show over the whole history with
// Plaid's ground truth.
func checkPanels(t *testing.T, p *pipeline, gt plaidemu.GroundTruth, byCurrency map[string]map[string]panelResult, broken string) {
	t.Helper()
	// Panels other than net worth do not use $currency.
	results := byCurrency["USD"]
	if results == nil {
		t.Fatal("the $currency variable does not list USD")
	}
	wantSpending := map[string]int64{} // category (currency)
	wantFlow := map[string]int64{}     // currency: -(sum of non-transfer amounts)
	wantNetWorth := map[string]int64{}
	wantUtilisation := map[string]float64{} // account_id
	for _, it := range gt.Items {
		for _, a := range it.Accounts {
			for cat, c := range a.Categories {
				if !notSpending(cat) {
					wantSpending[cat+" ("+a.Currency+")"] += c.SumCents
				}
				if !notCashFlow(cat) {
					wantFlow[a.Currency] -= c.SumCents
				}
			}
			if a.Balances.Current == nil {
				continue
			}
			cur := int64(math.Round(*a.Balances.Current * 100))
			switch a.Type {
			case "depository", "investment":
				wantNetWorth[a.Currency] += cur
			case "credit", "loan":
				wantNetWorth[a.Currency] -= cur
			}
			if a.Type == "credit" && a.Balances.Limit != nil && *a.Balances.Limit != 0 {
				wantUtilisation[a.AccountID] = *a.Balances.Current / *a.Balances.Limit * 100
			}
		}
	}

	// Spending by category: one series per category and currency.
	got := map[string]int64{}
	for _, s := range results["Spending by category"].series["A"] {
		v, _ := lastValue(s)
		got[s.Tags["category"]+" ("+s.Tags["currency"]+")"] = int64(math.Round(v * 100))
	}
	requireSameCents(t, "Spending by category", got, wantSpending)

	// Cash flow: the daily buckets add up to everything, and each starts at
	// midnight in the dashboard's time zone.
	loc, err := time.LoadLocation(testTimezone)
	if err != nil {
		t.Fatal(err)
	}
	flow := map[string]int64{}
	for _, ref := range []string{"A", "B"} {
		for _, s := range results["Cash flow by day ($tz)"].series[ref] {
			var total float64
			for _, row := range s.Values {
				ts := time.Unix(0, asInt(row[0])).In(loc)
				if ts.Hour() != 0 || ts.Minute() != 0 || ts.Second() != 0 {
					t.Fatalf("cash flow bucket at %s is not a day in %s", ts, testTimezone)
				}
				total += asFloat(row[1])
			}
			flow[s.Tags["currency"]] += int64(math.Round(total * 100))
		}
	}
	requireSameCents(t, "Cash flow by day", flow, wantFlow)

	// Net worth: per currency, the latest row of Grafana's join of the
	// per-account series, summed.
	got = map[string]int64{}
	for c, res := range byCurrency {
		if v, ok := netWorth(res["Net worth ($currency)"]); ok {
			got[c] = int64(math.Round(v * 100))
		}
	}
	requireSameCents(t, "Net worth", got, wantNetWorth)

	// Credit utilisation per card.
	if n := len(results["Credit utilisation"].series["A"]); n != len(wantUtilisation) {
		t.Errorf("Credit utilisation shows %d cards, Plaid holds %d", n, len(wantUtilisation))
	}
	for _, s := range results["Credit utilisation"].series["A"] {
		v, _ := lastValue(s)
		if want, ok := wantUtilisation[s.Tags["account_id"]]; !ok || math.Abs(v-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("Credit utilisation of %s / %s: %.4f%%, Plaid's balances give %.4f%%", s.Tags["item"], s.Tags["account"], v, want)
		}
	}

	// Balances: the last point of every account is Plaid's balance.
	balances := 0
	for _, s := range results["Balances"].series["A"] {
		balances++
		v, _ := lastValue(s)
		var want *float64
		for _, it := range gt.Items {
			for _, a := range it.Accounts {
				if a.AccountID == s.Tags["account_id"] {
					want = a.Balances.Current
				}
			}
		}
		if want == nil || math.Round(v*100) != math.Round(*want*100) {
			t.Errorf("Balances of %s / %s ends at %.2f, Plaid reports %v", s.Tags["item"], s.Tags["account"], v, want)
		}
	}
	accounts := 0
	for _, it := range gt.Items {
		accounts += len(it.Accounts)
	}
	if balances != accounts {
		t.Errorf("Balances shows %d accounts, Plaid holds %d", balances, accounts)
	}

	checkInvestmentPanels(t, gt, results, broken)

	// Item health: the status of every item, and the repair command of the
	// broken one.
	health := results["Item health"].series["A"]
	if len(health) != len(gt.Items) {
		t.Errorf("Item health shows %d items, Plaid holds %d", len(health), len(gt.Items))
	}
	for _, s := range health {
		it := itemTruth(gt, s.Tags["item"])
		status, command := fmt.Sprint(s.column("status")[0]), fmt.Sprint(s.column("repair command")[0])
		if status != expectedStatus(it) {
			t.Errorf("Item health of %s: %s, Plaid says %s", s.Tags["item"], status, expectedStatus(it))
		}
		wantCommand := ""
		if s.Tags["item"] == broken {
			wantCommand = p.updateCommand(broken)
		}
		if command != wantCommand {
			t.Errorf("Item health of %s: repair command %q, expected %q", s.Tags["item"], command, wantCommand)
		}
	}

	// Top merchants: purchases with a merchant, all of them positive.
	rows := 0
	for _, s := range results["Top merchants"].series["A"] {
		for i := range s.Values {
			rows++
			if fmt.Sprint(s.column("merchant_name")[i]) == "" || asFloat(s.column("amount")[i]) <= 0 {
				t.Errorf("Top merchants got a row that is not a purchase: %v", s.Values[i])
			}
		}
	}
	t.Logf("dashboard checked: %d spending categories, %d merchant rows, %d accounts, %d items", len(wantSpending), rows, balances, len(health))
}

func requireSameCents(t *testing.T, panel string, got, want map[string]int64) {
	t.Helper()
	var problems []string
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			problems = append(problems, fmt.Sprintf("%s: %s in the panel, %s at Plaid", k, centsString(g), centsString(w)))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && g != 0 {
			problems = append(problems, fmt.Sprintf("%s: %s in the panel, nothing at Plaid", k, centsString(g)))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Errorf("panel %q differs from Plaid:\n  %s", panel, strings.Join(problems, "\n  "))
	}
}

// netWorth does what the net worth panel's transformations do: join the
// per-account series on time (outer join) and sum each row, nulls left
// out. It returns the last row.
func netWorth(res panelResult) (float64, bool) {
	rows := map[int64]float64{}
	seen := map[int64]bool{}
	for _, ss := range res.series {
		for _, s := range ss {
			for _, row := range s.Values {
				if row[1] == nil {
					continue
				}
				ts := asInt(row[0])
				rows[ts] += asFloat(row[1])
				seen[ts] = true
			}
		}
	}
	var last int64
	found := false
	for ts := range seen {
		if !found || ts > last {
			last, found = ts, true
		}
	}
	return rows[last], found
}

// requireV2Categories checks that the points carry v2's detailed categories,
// so that the dashboard was indeed shown the v2 taxonomy.
func requireV2Categories(t *testing.T, p *pipeline) {
	t.Helper()
	found := false
	for _, s := range p.query(`SELECT count("amount") FROM "plaid_transaction" WHERE "category_detailed" = 'INCOME_SALARY'`) {
		for _, row := range s.Values {
			if asFloat(row[1]) > 0 {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("no transaction carries the v2 category INCOME_SALARY")
	}
}

// checkInvestmentPanels compares the liability and holding panels with the
// bank's figures. The broken item's liabilities are left out: its last
// poll is older than the bank's today.
func checkInvestmentPanels(t *testing.T, gt plaidemu.GroundTruth, results map[string]panelResult, broken string) {
	t.Helper()
	loc, err := time.LoadLocation(testTimezone)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	payments := map[string]series{}
	for _, s := range results["Upcoming payments"].series["A"] {
		payments[s.Tags["account_id"]] = s
	}
	aprs := map[string]float64{}
	for _, ref := range []string{"A", "B"} {
		for _, s := range results["APRs and interest rates"].series[ref] {
			v, _ := lastValue(s)
			aprs[s.Tags["account_id"]] = v
		}
	}
	liabilities, byType, gains := 0, map[string]int64{}, map[string]int64{}
	for _, it := range gt.Items {
		for _, h := range it.Holdings {
			byType[h.Type+" ("+h.Currency+")"] += int64(math.Round(h.Value * 100))
			if h.Type != "cash" {
				gains[h.AccountID+"/"+h.SecurityID] = int64(math.Round(h.Value*100)) - int64(math.Round(h.CostBasis*100))
			}
		}
		for _, lt := range it.Liabilities {
			liabilities++
			if aprs[lt.AccountID] != lt.APR {
				t.Errorf("APRs and interest rates of %s %s: %v, Plaid %v", it.Name, lt.AccountID, aprs[lt.AccountID], lt.APR)
			}
			if it.Name == broken {
				continue
			}
			s, ok := payments[lt.AccountID]
			if !ok {
				t.Errorf("Upcoming payments lacks %s %s", it.Name, lt.AccountID)
				continue
			}
			due, _ := time.Parse(time.DateOnly, lt.NextPaymentDueDate)
			got := fmt.Sprint(s.column("due")[0], " ", asCents(s.column("minimum")[0]), " ", asInt(s.column("days left")[0]), " ", s.column("overdue")[0])
			want := fmt.Sprint(lt.NextPaymentDueDate, " ", asCents(lt.MinimumPayment), " ", int64(due.Sub(today).Hours()/24), " ", lt.IsOverdue)
			if got != want {
				t.Errorf("Upcoming payments of %s %s: %s, Plaid %s", it.Name, lt.AccountID, got, want)
			}
		}
	}
	if len(payments) != liabilities || len(aprs) != liabilities {
		t.Errorf("Upcoming payments shows %d accounts, APRs %d; Plaid holds %d liabilities", len(payments), len(aprs), liabilities)
	}
	got := map[string]int64{}
	for _, s := range results["Portfolio allocation"].series["A"] {
		v, _ := lastValue(s)
		got[s.Tags["security_type"]+" ("+s.Tags["currency"]+")"] = int64(math.Round(v * 100))
	}
	requireSameCents(t, "Portfolio allocation", got, byType)
	got = map[string]int64{}
	for _, s := range results["Gains against cost basis"].series["A"] {
		v, _ := lastValue(s)
		got[s.Tags["account_id"]+"/"+s.Tags["security_id"]] = int64(math.Round(v * 100))
	}
	requireSameCents(t, "Gains against cost basis", got, gains)
	requireSameCents(t, portfolioPanel, latestPortfolio(results[portfolioPanel].series["A"]), bankPortfolio(gt))
	t.Logf("investment panels: %d liabilities, portfolio %v", liabilities, byType)
}

const portfolioPanel = "Portfolio value over time"

// portfolioSnapshot is what the bank holds per investment account and
// security type, in cents, from one advance of time to the next.
type portfolioSnapshot struct {
	from, to time.Time
	cents    map[string]int64
}

func portfolioKey(item, accountID, securityType, currency string) string {
	return item + " " + accountID + " " + securityType + " (" + currency + ")"
}

func bankPortfolio(gt plaidemu.GroundTruth) map[string]int64 {
	out := map[string]int64{}
	for _, it := range gt.Items {
		for _, h := range it.Holdings {
			out[portfolioKey(it.Name, h.AccountID, h.Type, h.Currency)] += int64(math.Round(h.Value * 100))
		}
	}
	return out
}

func seriesKey(s series) string {
	return portfolioKey(s.Tags["item"], s.Tags["account_id"], s.Tags["security_type"], s.Tags["currency"])
}

// latestPortfolio is the last value of each of the panel's lines.
func latestPortfolio(ss []series) map[string]int64 {
	out := map[string]int64{}
	for _, s := range ss {
		if v, ok := lastValue(s); ok {
			out[seriesKey(s)] = int64(math.Round(v * 100))
		}
	}
	return out
}

// portfolioSince runs the portfolio panel's query from since to now, with
// the one-second interval Grafana picks for a range of minutes.
func portfolioSince(t *testing.T, p *pipeline, d grafanaDashboard, since time.Time) []series {
	t.Helper()
	for _, panel := range d.allPanels() {
		if panel.Title != portfolioPanel {
			continue
		}
		r := grafanaRange{from: since, to: time.Now().Add(time.Second), interval: "1s"}
		ss, err := p.influx.query(p.database, interpolate(t, panel.Targets[0].Query, r, grafanaVars{items: templateValues(t, p, d, "item")}))
		if err != nil {
			t.Fatalf("panel %q: %v", portfolioPanel, err)
		}
		return ss
	}
	t.Fatalf("the dashboard has no panel %q", portfolioPanel)
	return nil
}

// waitPortfolio waits until the portfolio panel shows what the bank holds
// after time advanced at since, and returns that.
func waitPortfolio(t *testing.T, p *pipeline, d grafanaDashboard, since time.Time) portfolioSnapshot {
	t.Helper()
	want := bankPortfolio(p.emu.GroundTruth())
	var got map[string]int64
	err := waitFor(30*time.Second, 250*time.Millisecond, func() (bool, error) {
		got = latestPortfolio(portfolioSince(t, p, d, since))
		return maps.Equal(got, want), nil
	})
	if err != nil {
		requireSameCents(t, portfolioPanel+" after an advance", got, want)
		t.FailNow()
	}
	return portfolioSnapshot{from: since, cents: want}
}

// checkPortfolioOverTime runs the portfolio panel over the advances: each
// line shows, between two advances, the bank's value of that account's
// securities of that type, and the values move with the prices.
func checkPortfolioOverTime(t *testing.T, p *pipeline, d grafanaDashboard, snaps []portfolioSnapshot) {
	t.Helper()
	lines := map[string]series{}
	for _, s := range portfolioSince(t, p, d, snaps[0].from) {
		lines[seriesKey(s)] = s
	}
	moved := 0
	for i, snap := range snaps {
		for key, want := range snap.cents {
			shown := false
			for _, row := range lines[key].Values {
				at := time.Unix(0, asInt(row[0]))
				shown = shown || row[1] != nil && !at.Before(snap.from) && at.Before(snap.to) && asCents(row[1]) == want
			}
			if !shown {
				t.Errorf("%s: %s shows no %s between advance %d and the next", portfolioPanel, key, centsString(want), i+1)
			}
			if i > 0 && snaps[i-1].cents[key] != want {
				moved++
			}
		}
	}
	if moved == 0 {
		t.Errorf("%s: no value moved over %d advances", portfolioPanel, len(snaps))
	}
	t.Logf("%s: %d lines, %d changes over %d advances", portfolioPanel, len(snaps[0].cents), moved, len(snaps))
}
