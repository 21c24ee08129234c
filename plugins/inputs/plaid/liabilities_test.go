package plaid

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

var liabilityToday = time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)

// emuClock is the plugin's clock at noon UTC of the emulator's date, so that
// intervals pass as emulated days do.
func emuClock(emu *plaidemu.Emulator) func() time.Time {
	return func() time.Time {
		d, err := time.Parse(time.DateOnly, emu.GroundTruth().Today)
		if err != nil {
			panic(err)
		}
		return d.Add(12 * time.Hour)
	}
}

func liabilityPoints(metrics []telegraf.Metric) map[string]telegraf.Metric {
	out := map[string]telegraf.Metric{}
	for _, m := range metrics {
		if m.Name() == measurementLiability {
			out[m.Tags()["account_id"]] = m
		}
	}
	return out
}

func field(t *testing.T, m telegraf.Metric, key string) any {
	t.Helper()
	v, ok := m.GetField(key)
	require.True(t, ok, "%s has no field %s: %v", m.Tags()["account_id"], key, m.Fields())
	return v
}

// requireLiabilitiesMatch checks every plaid_liability point against the
// emulator's ground truth, and that there is one point per liability.
func requireLiabilitiesMatch(t *testing.T, gt plaidemu.GroundTruth, points map[string]telegraf.Metric, today time.Time) {
	t.Helper()
	n := 0
	for _, it := range gt.Items {
		names := map[string]string{}
		for _, a := range it.Accounts {
			names[a.AccountID] = a.Name
		}
		for _, lt := range it.Liabilities {
			n++
			m := points[lt.AccountID]
			require.NotNil(t, m, "%s: no point for %s %s", it.Name, lt.Kind, lt.AccountID)
			require.Equal(t, map[string]string{"item": it.Name, "account_id": lt.AccountID, "account": names[lt.AccountID],
				"kind": lt.Kind, "currency": lt.Currency}, m.Tags())
			due, err := time.Parse(time.DateOnly, lt.NextPaymentDueDate)
			require.NoError(t, err)
			require.Equal(t, lt.NextPaymentDueDate, field(t, m, "next_payment_due_date"))
			require.Equal(t, int64(due.Sub(today).Hours()/24), field(t, m, "days_until_due"))
			require.Equal(t, lt.IsOverdue, field(t, m, "is_overdue"))
			require.Equal(t, lt.MinimumPayment, field(t, m, "minimum_payment_amount"))
			if lt.LastPaymentAmount != nil {
				require.Equal(t, *lt.LastPaymentAmount, field(t, m, "last_payment_amount"))
				require.Equal(t, lt.LastPaymentDate, field(t, m, "last_payment_date"))
			}
			switch lt.Kind {
			case "credit":
				require.Equal(t, lt.APR, field(t, m, "apr_purchase"))
				require.Equal(t, lt.LastStatementBalance, field(t, m, "last_statement_balance"))
				require.Equal(t, lt.LastStatementDate, field(t, m, "last_statement_issue_date"))
			case "student":
				require.Equal(t, lt.APR, field(t, m, "interest_rate"))
				require.Equal(t, lt.LastStatementBalance, field(t, m, "last_statement_balance"))
				require.Equal(t, lt.ExpectedPayoffDate, field(t, m, "expected_payoff_date"))
				require.Equal(t, lt.YTDPrincipalPaid, field(t, m, "ytd_principal_paid"))
				require.Equal(t, lt.OutstandingInterest, field(t, m, "outstanding_interest_amount"))
			case "mortgage":
				require.Equal(t, lt.APR, field(t, m, "interest_rate"))
				require.Equal(t, *lt.EscrowBalance, field(t, m, "escrow_balance"))
				require.Equal(t, lt.PastDueAmount, field(t, m, "past_due_amount"))
				require.Equal(t, lt.YTDPrincipalPaid, field(t, m, "ytd_principal_paid"))
			}
		}
	}
	require.Len(t, points, n, "one point per liability account")
}

func TestLiabilityPointsMatchTheBank(t *testing.T) {
	for _, seed := range []int64{15, 6} { // item 2 has a mortgage, then a student loan
		h := newHarness(t, plaidemu.Config{Seed: seed, Items: 4, HistoryDays: 60, TxPerDay: 3, Today: liabilityToday})
		p := h.plugin(func(p *Plaid) { p.now = emuClock(h.emu) })
		metrics := newDelivery().gather(t, p)
		gt := h.emu.GroundTruth()
		requireLiabilitiesMatch(t, gt, liabilityPoints(metrics), liabilityToday)
		stats := h.emu.Stats()
		noLiabilities := gt.Items[3]
		require.Empty(t, noLiabilities.Liabilities)
		require.Zero(t, stats.ByItem[noLiabilities.Name]["/liabilities/get"], "an item without the product is not asked")
		for _, it := range gt.Items[:3] {
			require.Equal(t, 1, stats.ByItem[it.Name]["/liabilities/get"], it.Name)
		}
		t.Logf("seed %d: %d plaid_liability points from %d calls", seed, len(liabilityPoints(metrics)), 3)
	}
}

// TestLiabilityStatementRollsAndPaymentOverdue follows a card through a
// missed payment: due in 11 days, due today, overdue, then a new statement
// with a new due date while the missed one keeps it overdue.
func TestLiabilityStatementRollsAndPaymentOverdue(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 60, TxPerDay: 3, Today: liabilityToday})
	card := h.emu.GroundTruth().Items[0].Liabilities[0]
	require.Equal(t, "credit", card.Kind)
	require.NoError(t, h.emu.SetAutopay(h.emu.Items()[0].Name, false))
	clock := emuClock(h.emu)
	p := h.plugin(func(p *Plaid) { p.now = clock })
	d := newDelivery()
	at := func(date string, wantDays int64, wantOverdue bool, wantStatement string) telegraf.Metric {
		t.Helper()
		if today := h.emu.GroundTruth().Today; today != date {
			to, err := time.Parse(time.DateOnly, date)
			require.NoError(t, err)
			from, err := time.Parse(time.DateOnly, today)
			require.NoError(t, err)
			_, err = h.emu.Advance(int(to.Sub(from).Hours() / 24))
			require.NoError(t, err)
		}
		points := liabilityPoints(d.gather(t, p))
		today, err := time.Parse(time.DateOnly, date)
		require.NoError(t, err)
		requireLiabilitiesMatch(t, h.emu.GroundTruth(), points, today)
		m := points[card.AccountID]
		require.Equal(t, wantDays, field(t, m, "days_until_due"), date)
		require.Equal(t, wantOverdue, field(t, m, "is_overdue"), date)
		require.Equal(t, wantStatement, field(t, m, "last_statement_issue_date"), date)
		t.Logf("%s: statement %s balance %v minimum %v due %v (%v days) overdue %v", date, wantStatement,
			field(t, m, "last_statement_balance"), field(t, m, "minimum_payment_amount"),
			field(t, m, "next_payment_due_date"), wantDays, wantOverdue)
		return m
	}
	first := at("2026-03-14", 11, false, "2026-02-28")
	at("2026-03-25", 0, false, "2026-02-28")
	at("2026-03-26", -1, true, "2026-02-28")
	// The March statement is due April 25; the missed February one keeps
	// the card overdue.
	rolled := at("2026-03-28", 28, true, "2026-03-28")
	require.Greater(t, field(t, rolled, "last_statement_balance"), field(t, first, "last_statement_balance"),
		"no payment: the new statement owes more")
}

func TestLiabilitiesPolledOncePerInterval(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 4, HistoryDays: 60, TxPerDay: 3, Today: liabilityToday})
	p := h.plugin(func(p *Plaid) { p.now = emuClock(h.emu); p.LiabilitiesInterval = duration(24 * time.Hour) })
	d := newDelivery()
	want := 0
	for _, it := range h.emu.GroundTruth().Items {
		want += len(it.Liabilities)
	}
	require.Len(t, liabilityPoints(d.gather(t, p)), want)
	h.emu.ResetStats()
	for range 3 {
		require.Empty(t, liabilityPoints(d.gather(t, p)), "not due")
	}
	for _, it := range h.emu.Items() {
		require.Equal(t, map[string]int{"/transactions/sync": 3}, h.emu.Stats().ByItem[it.Name], it.Name)
	}
	_, err := h.emu.Advance(1)
	require.NoError(t, err)
	require.Len(t, liabilityPoints(d.gather(t, p)), want, "due again a day later")
}

func TestLiabilitiesOff(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 30, TxPerDay: 3, Today: liabilityToday})
	p := h.plugin(func(p *Plaid) { p.Liabilities = false })
	require.Empty(t, liabilityPoints(newDelivery().gather(t, p)))
	for _, it := range h.emu.Items() {
		require.Zero(t, h.emu.Stats().ByItem[it.Name]["/liabilities/get"], it.Name)
	}
}

// TestLiabilityErrors: a rate limit is retried at the next gather; an
// error that does not pass waits for liabilities_interval. Neither fails
// the item's sync.
func TestLiabilityErrors(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 30, TxPerDay: 3, Today: liabilityToday})
	items := h.emu.Items()
	_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "/liabilities/get", Item: items[0].Name, ErrorCode: "RATE_LIMIT_EXCEEDED", Count: 6})
	require.NoError(t, err)
	_, err = h.emu.AddFault(plaidemu.Fault{Endpoint: "/liabilities/get", Item: items[1].Name, ErrorCode: "PRODUCTS_NOT_SUPPORTED"})
	require.NoError(t, err)
	p := h.plugin(func(p *Plaid) { p.now = emuClock(h.emu) })
	d := newDelivery()
	points := liabilityPoints(d.gather(t, p))
	var errs []string
	for _, e := range d.acc.Errors {
		errs = append(errs, e.Error())
	}
	t.Logf("gather errors: %q", errs)
	require.Len(t, errs, 2)
	require.True(t, slices.ContainsFunc(errs, func(s string) bool {
		return strings.Contains(s, "["+items[0].Name+"] /liabilities/get") && strings.Contains(s, "RATE_LIMIT")
	}))
	require.True(t, slices.ContainsFunc(errs, func(s string) bool {
		return strings.Contains(s, "["+items[1].Name+"] /liabilities/get") && strings.Contains(s, "PRODUCTS_NOT_SUPPORTED")
	}))
	gt := h.emu.GroundTruth()
	require.Len(t, points, len(gt.Items[2].Liabilities), "the third item is unaffected")
	for _, r := range p.Results() {
		require.Equal(t, statusOK, r.Status, r.Name)
	}
	stats := h.emu.Stats()
	require.Equal(t, 6, stats.ByItem[items[0].Name]["/liabilities/get"], "retried within the gather, as for every call")

	points = liabilityPoints(d.gather(t, p))
	require.Contains(t, points, gt.Items[0].Liabilities[0].AccountID, "the rate limit passed: polled at the next gather")
	require.NotContains(t, points, gt.Items[1].Liabilities[0].AccountID, "not asked again before liabilities_interval")
	require.Equal(t, 1, h.emu.Stats().ByItem[items[1].Name]["/liabilities/get"])
}

// TestLiabilityGolden renders a /liabilities/get answer with every kind
// and field, and nulls, into line protocol.
func TestLiabilityGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "liabilities_get.json"))
	require.NoError(t, err)
	var resp plaid.LiabilitiesGetResponse
	require.NoError(t, json.Unmarshal(raw, &resp))
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// 02:30 UTC on March 14 is still March 13 in New York.
	now := time.Date(2026, 3, 14, 2, 30, 0, 0, time.UTC)
	metrics := liabilityMetrics("Home Bank", &resp, now, ny)
	s := &influx.Serializer{SortFields: true}
	require.NoError(t, s.Init())
	var got strings.Builder
	for _, m := range metrics {
		line, err := s.Serialize(m)
		require.NoError(t, err)
		got.Write(line)
	}
	golden := filepath.Join("testdata", "liabilities.golden")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		require.NoError(t, os.WriteFile(golden, []byte(got.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), got.String())
}
