package plaid

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func holdingPoints(metrics []telegraf.Metric) map[string]telegraf.Metric {
	out := map[string]telegraf.Metric{}
	for _, m := range metrics {
		if m.Name() == measurementHolding {
			out[m.Tags()["account_id"]+"/"+m.Tags()["security_id"]] = m
		}
	}
	return out
}

func requireHoldingsMatch(t *testing.T, gt plaidemu.GroundTruth, points map[string]telegraf.Metric) {
	t.Helper()
	n := 0
	for _, it := range gt.Items {
		names := map[string]string{}
		for _, a := range it.Accounts {
			names[a.AccountID] = a.Name
		}
		for _, h := range it.Holdings {
			n++
			m := points[h.AccountID+"/"+h.SecurityID]
			require.NotNil(t, m, "%s: no point for %s in %s", it.Name, h.Ticker, h.AccountID)
			require.Equal(t, map[string]string{"item": it.Name, "account_id": h.AccountID, "account": names[h.AccountID],
				"security_id": h.SecurityID, "ticker": h.Ticker, "security_type": h.Type, "currency": h.Currency}, m.Tags())
			require.Equal(t, map[string]any{"quantity": h.Quantity, "institution_price": h.Price, "institution_value": h.Value,
				"cost_basis": h.CostBasis, "security_name": h.Name, "price_as_of": h.PriceAsOf}, m.Fields())
		}
	}
	require.Len(t, points, n, "one point per account and security")
}

func TestHoldingPointsFollowThePortfolio(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 60, TxPerDay: 3, Today: liabilityToday})
	p := h.plugin(func(p *Plaid) { p.now = emuClock(h.emu); p.HoldingsInterval = duration(24 * time.Hour) })
	d := newDelivery()
	first := holdingPoints(d.gather(t, p))
	gt := h.emu.GroundTruth()
	requireHoldingsMatch(t, gt, first)
	invested := gt.Items[1]
	require.NotEmpty(t, invested.Holdings)
	stats := h.emu.Stats()
	for i, it := range gt.Items {
		want := 0
		if len(it.Holdings) > 0 {
			want = 1
		}
		require.Equal(t, want, stats.ByItem[it.Name]["/investments/holdings/get"], "item %d %s", i, it.Name)
	}
	require.Empty(t, holdingPoints(d.gather(t, p)), "not due again within holdings_interval")

	// March 15: prices move and the monthly buy adds shares.
	_, err := h.emu.Advance(1)
	require.NoError(t, err)
	second := holdingPoints(d.gather(t, p))
	requireHoldingsMatch(t, h.emu.GroundTruth(), second)
	top := invested.Holdings[0]
	key := top.AccountID + "/" + top.SecurityID
	q1, _ := first[key].GetField("quantity")
	q2, _ := second[key].GetField("quantity")
	p1, _ := first[key].GetField("institution_price")
	p2, _ := second[key].GetField("institution_price")
	require.Greater(t, q2, q1, "the buy shows as more shares")
	require.NotEqual(t, p1, p2, "the price moved")
	t.Logf("%s: %v shares at %v -> %v shares at %v", top.Ticker, q1, p1, q2, p2)
}

func TestHoldingsOffAndErrors(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 30, TxPerDay: 3, Today: liabilityToday})
	off := h.plugin(func(p *Plaid) { p.Holdings = false })
	require.Empty(t, holdingPoints(newDelivery().gather(t, off)))
	require.Zero(t, h.emu.Stats().Calls["/investments/holdings/get"])
	off.Stop()

	invested := h.emu.Items()[1]
	_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "/investments/holdings/get", Item: invested.Name, ErrorCode: "RATE_LIMIT_EXCEEDED", Count: 6})
	require.NoError(t, err)
	p := h.plugin(func(p *Plaid) { p.now = emuClock(h.emu) })
	d := newDelivery()
	require.Empty(t, holdingPoints(d.gather(t, p)))
	require.Len(t, d.acc.Errors, 1)
	t.Logf("gather error: %v", d.acc.Errors[0])
	require.Contains(t, d.acc.Errors[0].Error(), "["+invested.Name+"] /investments/holdings/get")
	require.Contains(t, d.acc.Errors[0].Error(), "INVESTMENT_HOLDINGS_GET_LIMIT")
	requireHoldingsMatch(t, h.emu.GroundTruth(), holdingPoints(d.gather(t, p)))
}

func TestHoldingGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "investments_holdings_get.json"))
	require.NoError(t, err)
	var resp plaid.InvestmentsHoldingsGetResponse
	require.NoError(t, json.Unmarshal(raw, &resp))
	metrics := holdingMetrics("Broker", &resp, time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC))
	s := &influx.Serializer{SortFields: true}
	require.NoError(t, s.Init())
	var got strings.Builder
	for _, m := range metrics {
		line, err := s.Serialize(m)
		require.NoError(t, err)
		got.Write(line)
	}
	golden := filepath.Join("testdata", "holdings.golden")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		require.NoError(t, os.WriteFile(golden, []byte(got.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), got.String())
}
