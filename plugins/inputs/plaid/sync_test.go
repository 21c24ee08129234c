package plaid

import (
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func itemPoints(metrics []telegraf.Metric, item string) []telegraf.Metric {
	var out []telegraf.Metric
	for _, m := range metrics {
		if m.Name() == measurementItem && m.Tags()["item"] == item {
			out = append(out, m)
		}
	}
	return out
}

func lastItemField(t *testing.T, metrics []telegraf.Metric, item, field string) any {
	t.Helper()
	points := itemPoints(metrics, item)
	require.NotEmpty(t, points, "no plaid_item point for %q", item)
	v, ok := points[len(points)-1].GetField(field)
	require.True(t, ok, "plaid_item for %q has no field %q", item, field)
	return v
}

func TestBackfillMatchesGroundTruth(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 7, Items: 3, HistoryDays: 400, TxPerDay: 6})
	p := h.plugin()
	d := newDelivery()
	view := newInfluxView()

	metrics := d.gather(t, p)
	view.add(metrics...)
	gt := h.emu.GroundTruth()
	require.Greater(t, gt.Count, 5000)
	requireMatchesTruth(t, view, gt)

	for _, it := range h.emu.Items() {
		require.Equal(t, "ok", lastItemField(t, metrics, it.Name, "status"))
		require.Equal(t, false, lastItemField(t, metrics, it.Name, "login_required"))
		require.Equal(t, it.ItemID, itemPoints(metrics, it.Name)[0].Tags()["item_id"])
	}
	balances := 0
	for _, m := range metrics {
		if m.Name() == measurementBalance {
			balances++
		}
	}
	require.Positive(t, balances)

	// A second gather with nothing new at Plaid writes no transaction points.
	again := d.gather(t, p)
	for _, m := range again {
		require.NotEqual(t, measurementTransaction, m.Name(), "steady state wrote a transaction point")
	}
}

func TestDailyLifeWithSmallPages(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 11, Items: 2, HistoryDays: 60, TxPerDay: 12})
	p := h.plugin(func(p *Plaid) { p.pageSize = 7 })
	d := newDelivery()
	view := newInfluxView()
	view.add(d.gather(t, p)...)
	requireMatchesTruth(t, view, h.emu.GroundTruth())

	var posted, modified, removed int
	for day := 0; day < 6; day++ {
		summary, err := h.emu.Advance(1 + day%2)
		require.NoError(t, err)
		posted += summary.Posted
		modified += summary.Modified
		removed += summary.Removed
		metrics := d.gather(t, p)
		view.add(metrics...)
		requireMatchesTruth(t, view, h.emu.GroundTruth())
	}
	require.Positive(t, posted, "no pending transaction posted")
	require.Positive(t, modified, "no transaction modified")
	require.Positive(t, removed, "no transaction removed")

	tombstones := 0
	for _, pt := range view.Points(measurementTransaction) {
		if r, _ := pt.Fields["removed"].(bool); r {
			require.Equal(t, 0.0, pt.Fields["amount"])
			tombstones++
		}
	}
	require.Positive(t, tombstones)
}

func TestMutationDuringPaginationRestartsTheLoop(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 3, Items: 1, HistoryDays: 90, TxPerDay: 8})
	item := h.emu.Items()[0]
	_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", Item: item.Name,
		ErrorCode: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", Page: 3, Count: 2})
	require.NoError(t, err)
	p := h.plugin(func(p *Plaid) { p.pageSize = 50 })
	d := newDelivery()
	view := newInfluxView()
	metrics := d.gather(t, p)
	view.add(metrics...)
	requireMatchesTruth(t, view, h.emu.GroundTruth())
	require.Equal(t, "ok", lastItemField(t, metrics, item.Name, "status"))
	// Each of the two failed loops asked for pages 1, 2 and 3.
	pages := (h.emu.GroundTruth().Count + 49) / 50
	require.Equal(t, pages+2*3, h.emu.Stats().ByItem[item.Name]["/transactions/sync"])
}

func TestRetryableErrorsAreRetried(t *testing.T) {
	cases := []struct {
		name  string
		fault plaidemu.Fault
	}{
		{"rate limit", plaidemu.Fault{ErrorCode: "RATE_LIMIT_EXCEEDED"}},
		{"internal server error", plaidemu.Fault{ErrorCode: "INTERNAL_SERVER_ERROR"}},
		{"planned maintenance", plaidemu.Fault{ErrorCode: "PLANNED_MAINTENANCE"}},
		{"institution down", plaidemu.Fault{ErrorCode: "INSTITUTION_DOWN"}},
		{"institution not responding", plaidemu.Fault{ErrorCode: "INSTITUTION_NOT_RESPONDING"}},
		{"dropped connection", plaidemu.Fault{Drop: true}},
		{"truncated body", plaidemu.Fault{Truncate: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, plaidemu.Config{Seed: 5, Items: 1, HistoryDays: 20, TxPerDay: 5})
			item := h.emu.Items()[0]
			f := tc.fault
			f.Endpoint, f.Item, f.Count = "/transactions/sync", item.Name, 2
			_, err := h.emu.AddFault(f)
			require.NoError(t, err)
			p := h.plugin()
			d := newDelivery()
			view := newInfluxView()
			metrics := d.gather(t, p)
			view.add(metrics...)
			require.Equal(t, "ok", lastItemField(t, metrics, item.Name, "status"))
			requireMatchesTruth(t, view, h.emu.GroundTruth())
			require.Equal(t, 3, h.emu.Stats().ByItem[item.Name]["/transactions/sync"], "two failures and one success")
		})
	}
}

func TestNonRetryableErrorsStopTheItemOnly(t *testing.T) {
	cases := []struct {
		code          string
		loginRequired bool
	}{
		{"ITEM_LOGIN_REQUIRED", true},
		{"INVALID_ACCESS_TOKEN", false},
		{"ITEM_NOT_FOUND", false},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			h := newHarness(t, plaidemu.Config{Seed: 9, Items: 3, HistoryDays: 30, TxPerDay: 5})
			items := h.emu.Items()
			broken := items[1]
			_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", Item: broken.Name, ErrorCode: tc.code})
			require.NoError(t, err)
			p := h.plugin()
			d := newDelivery()
			view := newInfluxView()
			metrics := d.gather(t, p)
			view.add(metrics...)

			require.Equal(t, tc.code, lastItemField(t, metrics, broken.Name, "status"))
			require.Equal(t, tc.loginRequired, lastItemField(t, metrics, broken.Name, "login_required"))
			require.Equal(t, 1, h.emu.Stats().ByItem[broken.Name]["/transactions/sync"], "not retried")
			cmd := lastItemField(t, metrics, broken.Name, "update_command")
			if tc.loginRequired {
				require.Equal(t, "update", lastItemField(t, metrics, broken.Name, "repair"))
				require.Equal(t, "linktool -c "+h.ini+" --update '"+broken.Name+"'", cmd)
			} else {
				// Plaid no longer knows the item: only a new link helps.
				require.Equal(t, "link", lastItemField(t, metrics, broken.Name, "repair"))
				require.Equal(t, "linktool -c "+h.ini+" --remove '"+broken.Name+"' && linktool -c "+h.ini+" --link '"+broken.Name+"'", cmd)
			}
			others := []string{items[0].Name, items[2].Name}
			for _, name := range others {
				require.Equal(t, "ok", lastItemField(t, metrics, name, "status"))
			}
			requireMatchesTruth(t, view, h.emu.GroundTruth(), others...)
			require.Empty(t, view.TransactionTotals()[broken.Name])
		})
	}
}

func TestLoginExpiryAndRepair(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 21, Items: 2, HistoryDays: 30, TxPerDay: 5})
	items := h.emu.Items()
	p := h.plugin()
	d := newDelivery()
	view := newInfluxView()
	view.add(d.gather(t, p)...)

	client := newTestClient(t, h)
	client.resetLogin(items[0].AccessToken)
	_, err := h.emu.Advance(3)
	require.NoError(t, err)
	metrics := d.gather(t, p)
	view.add(metrics...)
	require.Equal(t, "ITEM_LOGIN_REQUIRED", lastItemField(t, metrics, items[0].Name, "status"))
	require.Equal(t, true, lastItemField(t, metrics, items[0].Name, "login_required"))
	require.Equal(t, "ok", lastItemField(t, metrics, items[1].Name, "status"))
	requireMatchesTruth(t, view, h.emu.GroundTruth(), items[1].Name)

	client.repairLogin(items[0])
	metrics = d.gather(t, p)
	view.add(metrics...)
	require.Equal(t, "ok", lastItemField(t, metrics, items[0].Name, "status"))
	require.Equal(t, false, lastItemField(t, metrics, items[0].Name, "login_required"))
	require.Empty(t, lastItemField(t, metrics, items[0].Name, "update_command"))
	requireMatchesTruth(t, view, h.emu.GroundTruth())
}

func TestDeadlineCutsTheGatherAndTheNextResumes(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 4, Items: 1, HistoryDays: 200, TxPerDay: 8})
	item := h.emu.Items()[0]
	_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", LatencyMS: 400})
	require.NoError(t, err)
	p := h.plugin(func(p *Plaid) {
		p.pageSize = 100
		p.Timeout = duration(time.Second)
	})
	d := newDelivery()
	view := newInfluxView()
	start := time.Now()
	metrics := d.gather(t, p)
	require.Less(t, time.Since(start), 3*time.Second, "the gather outlived its deadline")
	view.add(metrics...)
	require.Equal(t, statusIncomplete, lastItemField(t, metrics, item.Name, "status"))
	firstCalls := h.emu.Stats().ByItem[item.Name]["/transactions/sync"]
	require.Positive(t, firstCalls)

	h.emu.ClearFaults()
	metrics = d.gather(t, p)
	view.add(metrics...)
	require.Equal(t, "ok", lastItemField(t, metrics, item.Name, "status"))
	requireMatchesTruth(t, view, h.emu.GroundTruth())
	// Resuming re-asks at most the page whose answer the deadline cut off;
	// starting over would re-read every page the first gather staged.
	pages := (h.emu.GroundTruth().Count + 99) / 100
	require.LessOrEqual(t, h.emu.Stats().ByItem[item.Name]["/transactions/sync"], pages+1, "the second gather started over instead of resuming")
}

func TestInterruptStopsTheGatherAndTheNextProcessResumes(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 6, Items: 1, HistoryDays: 200, TxPerDay: 8})
	item := h.emu.Items()[0]
	_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", LatencyMS: 300})
	require.NoError(t, err)
	first := h.plugin(func(p *Plaid) { p.pageSize = 100 })
	d := newDelivery()
	view := newInfluxView()
	go func() {
		time.Sleep(700 * time.Millisecond)
		first.Interrupt()
	}()
	start := time.Now()
	metrics := d.gather(t, first)
	require.Less(t, time.Since(start), 3*time.Second, "the interrupted gather went on")
	view.add(metrics...)
	require.Equal(t, statusIncomplete, lastItemField(t, metrics, item.Name, "status"))
	require.Contains(t, lastItemField(t, metrics, item.Name, "error_message"), "plaid-sync is stopping")
	first.Stop()

	h.emu.ClearFaults()
	second := h.plugin(func(p *Plaid) { p.pageSize = 100 })
	view.add(newDelivery().gather(t, second)...)
	requireMatchesTruth(t, view, h.emu.GroundTruth())
}
