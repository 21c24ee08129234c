package plaid

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// influxFold keeps what InfluxDB would hold for plaid_investment_transaction:
// a point written again under the same identity (tags + time) replaces its
// fields.
type influxFold map[string]map[string]any

func (f influxFold) add(t *testing.T, metrics []telegraf.Metric) (written int) {
	t.Helper()
	for _, m := range metrics {
		if m.Name() != measurementInvestmentTxn {
			continue
		}
		written++
		tags := m.Tags()
		keys := make([]string, 0, len(tags))
		for k := range tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		id := fmt.Sprint(m.Time().UnixNano())
		for _, k := range keys {
			id += "," + k + "=" + tags[k]
		}
		f[id] = m.Fields()
		f[id]["_tags"] = tags
	}
	return written
}

// live is the folded points not removed, by investment_transaction_id.
func (f influxFold) live(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, fields := range f {
		if fields["removed"] == false {
			id := fields["investment_transaction_id"].(string)
			require.NotContains(t, out, id, "one live point per investment transaction")
			out[id] = fields
		}
	}
	return out
}

func requireInvestmentsMatch(t *testing.T, fold influxFold, truth plaidemu.ItemTruth) {
	t.Helper()
	live := fold.live(t)
	require.Len(t, live, len(truth.InvestmentTransactions))
	names := map[string]string{}
	for _, a := range truth.Accounts {
		names[a.AccountID] = a.Name
	}
	for _, tr := range truth.InvestmentTransactions {
		f := live[tr.ID]
		require.NotNil(t, f, tr.ID)
		require.Equal(t, map[string]string{"item": truth.Name, "account_id": tr.AccountID, "account": names[tr.AccountID],
			"type": tr.Type, "subtype": tr.Subtype, "currency": tr.Currency}, f["_tags"])
		require.Equal(t, tr.Amount, f["amount"], tr.ID)
		require.Equal(t, tr.Quantity, f["quantity"])
		require.Equal(t, tr.Price, f["price"])
		if tr.Fees == nil {
			require.NotContains(t, f, "fees", "Plaid gave null fees")
		} else {
			require.Equal(t, *tr.Fees, f["fees"])
		}
		require.Equal(t, tr.SecurityID, f["security_id"])
		require.Equal(t, tr.Name, f["name"])
	}
}

// dailyPolls polls investment transactions once an emulated day, without
// replay, so that what each poll writes is counted alone.
func dailyPolls(h *harness) func(*Plaid) {
	return func(p *Plaid) {
		p.now = emuClock(h.emu)
		p.InvestmentTransactionsInterval = duration(24 * time.Hour)
		p.ReplayWindow = 0
	}
}

func TestInvestmentTransactionsThroughTheLedger(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 90, TxPerDay: 3, Today: liabilityToday})
	configure := dailyPolls(h)
	p := h.plugin(configure)
	d := newDelivery()
	fold := influxFold{}
	invested := h.emu.Items()[1]
	truth := func() plaidemu.ItemTruth { return itemTruth(t, h.emu.GroundTruth(), invested.Name) }

	first := fold.add(t, d.gather(t, p))
	requireInvestmentsMatch(t, fold, truth())
	require.Equal(t, len(truth().InvestmentTransactions), first, "the first poll writes the history once")
	stats := h.emu.Stats()
	require.Equal(t, 1, stats.ByItem[invested.Name]["/investments/transactions/get"])
	require.Zero(t, stats.ByItem[h.emu.Items()[0].Name]["/investments/transactions/get"], "no investments, no call")
	require.Zero(t, fold.add(t, d.gather(t, p)), "not due within the interval")

	// A day later, March 15's buy is new; nothing else is written again.
	_, err := h.emu.Advance(1)
	require.NoError(t, err)
	require.Equal(t, 1, fold.add(t, d.gather(t, p)), "only the new buy")
	requireInvestmentsMatch(t, fold, truth())

	// A dividend restated and a buy withdrawn, within the re-read window.
	var dividend, buy plaidemu.InvestmentTxnTruth
	for _, tr := range truth().InvestmentTransactions {
		switch tr.Subtype {
		case "dividend":
			dividend = tr
		case "buy":
			buy = tr
		}
	}
	require.NoError(t, h.emu.CorrectInvestmentTransaction(invested.Name, dividend.ID, dividend.Amount-2.5))
	require.NoError(t, h.emu.RemoveInvestmentTransaction(invested.Name, buy.ID))
	_, err = h.emu.Advance(1)
	require.NoError(t, err)
	metrics := d.gather(t, p)
	require.Equal(t, 2, fold.add(t, metrics), "the correction and the tombstone")
	requireInvestmentsMatch(t, fold, truth())
	for _, m := range metrics {
		if m.Name() != measurementInvestmentTxn {
			continue
		}
		id, _ := m.GetField("investment_transaction_id")
		removed, _ := m.GetField("removed")
		amount, _ := m.GetField("amount")
		t.Logf("%s removed=%v amount=%v", id, removed, amount)
		switch id {
		case buy.ID:
			require.Equal(t, true, removed)
			require.Equal(t, 0.0, amount)
		case dividend.ID:
			require.Equal(t, false, removed)
			require.Equal(t, dividend.Amount-2.5, amount)
		default:
			t.Fatalf("unexpected point for %v", id)
		}
	}

	// A restart keeps what was written: nothing again.
	p.Stop()
	_, err = h.emu.Advance(1)
	require.NoError(t, err)
	p = h.plugin(configure)
	require.Zero(t, fold.add(t, d.gather(t, p)), "March 17 brought no trade")
	requireInvestmentsMatch(t, fold, truth())
}

func TestInvestmentTransactionGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "investment_transactions.json"))
	require.NoError(t, err)
	var txns []plaid.InvestmentTransaction
	require.NoError(t, json.Unmarshal(raw, &txns))
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	p := &Plaid{location: ny}
	accounts := map[string]string{"ira1": "Roth IRA"}
	s := &influx.Serializer{SortFields: true}
	require.NoError(t, s.Init())
	var got strings.Builder
	for i := range txns {
		pt, err := p.shapeInvestment(&txns[i], accounts)
		require.NoError(t, err)
		dead := pt
		dead.Live = false
		for _, m := range []telegraf.Metric{investmentMetric("Broker", &pt), investmentMetric("Broker", &dead)} {
			line, err := s.Serialize(m)
			require.NoError(t, err)
			got.Write(line)
		}
	}
	_, err = p.shapeInvestment(&plaid.InvestmentTransaction{InvestmentTransactionId: "x", Date: "03/14/2026"}, accounts)
	require.ErrorContains(t, err, `date "03/14/2026"`)
	golden := filepath.Join("testdata", "investment_transactions.golden")
	if *updateGolden {
		require.NoError(t, os.WriteFile(golden, []byte(got.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), got.String())
}

// TestInvestmentTransactionErrors: a rate limit writes nothing and records
// nothing, so the next gather reads the whole history; an item without
// investment accounts is not asked.
func TestInvestmentTransactionErrors(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 60, TxPerDay: 3, Today: liabilityToday})
	invested := h.emu.Items()[1]
	_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "/investments/transactions/get", Item: invested.Name, ErrorCode: "RATE_LIMIT_EXCEEDED", Count: 6})
	require.NoError(t, err)
	p := h.plugin(func(p *Plaid) { p.now = emuClock(h.emu) })
	d := newDelivery()
	fold := influxFold{}
	require.Zero(t, fold.add(t, d.gather(t, p)))
	require.Len(t, d.acc.Errors, 1)
	t.Logf("gather error: %v", d.acc.Errors[0])
	require.Contains(t, d.acc.Errors[0].Error(), "["+invested.Name+"] /investments/transactions/get")
	for _, r := range p.Results() {
		require.Equal(t, statusOK, r.Status, "%s: the sync is not failed by it", r.Name)
	}
	truth := itemTruth(t, h.emu.GroundTruth(), invested.Name)
	require.Equal(t, len(truth.InvestmentTransactions), fold.add(t, d.gather(t, p)), "the next gather reads the history")
	requireInvestmentsMatch(t, fold, truth)
	stats := h.emu.Stats()
	require.Equal(t, 7, stats.ByItem[invested.Name]["/investments/transactions/get"], "6 refused, 1 answered")
	require.Zero(t, stats.ByItem[h.emu.Items()[0].Name]["/investments/transactions/get"])
}
