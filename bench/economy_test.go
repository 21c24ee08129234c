package bench

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/execdlog"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

// These checks are the deterministic part of the benchmarks, for CI: how
// many Plaid calls a gather makes, and that memory does not grow with the
// number of gathers. They depend on no clock: the intervals used are either
// far longer than the test (6 h, 1 h) or shorter than any gather (1 ns).

// countingAccumulator drops every metric after counting plaid_item points,
// and reports every tracked group delivered at once, as the execd shim does
// once a group is written to stdout.
type countingAccumulator struct {
	mu        sync.Mutex
	items     int
	nextID    telegraf.TrackingID
	delivered chan telegraf.DeliveryInfo
}

type deliveryInfo struct{ id telegraf.TrackingID }

func (d deliveryInfo) ID() telegraf.TrackingID { return d.id }
func (deliveryInfo) Delivered() bool           { return true }

func (a *countingAccumulator) count(name string) {
	if name == "plaid_item" {
		a.mu.Lock()
		a.items++
		a.mu.Unlock()
	}
}

func (a *countingAccumulator) takeItems() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.items
	a.items = 0
	return n
}

func (a *countingAccumulator) AddFields(name string, _ map[string]interface{}, _ map[string]string, _ ...time.Time) {
	a.count(name)
}
func (a *countingAccumulator) AddGauge(name string, _ map[string]interface{}, _ map[string]string, _ ...time.Time) {
	a.count(name)
}
func (a *countingAccumulator) AddCounter(name string, _ map[string]interface{}, _ map[string]string, _ ...time.Time) {
	a.count(name)
}
func (a *countingAccumulator) AddSummary(name string, _ map[string]interface{}, _ map[string]string, _ ...time.Time) {
	a.count(name)
}
func (a *countingAccumulator) AddHistogram(name string, _ map[string]interface{}, _ map[string]string, _ ...time.Time) {
	a.count(name)
}
func (a *countingAccumulator) AddMetric(m telegraf.Metric) { a.count(m.Name()) }
func (*countingAccumulator) SetPrecision(time.Duration)    {}
func (*countingAccumulator) AddError(error)                {}

func (a *countingAccumulator) WithTracking(maxTracked int) telegraf.TrackingAccumulator {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.delivered == nil {
		a.delivered = make(chan telegraf.DeliveryInfo, maxTracked)
	}
	return a
}

func (a *countingAccumulator) AddTrackingMetric(m telegraf.Metric) telegraf.TrackingID {
	return a.AddTrackingMetricGroup([]telegraf.Metric{m})
}

func (a *countingAccumulator) AddTrackingMetricGroup(group []telegraf.Metric) telegraf.TrackingID {
	for _, m := range group {
		a.count(m.Name())
	}
	a.mu.Lock()
	a.nextID++
	id := a.nextID
	a.mu.Unlock()
	a.delivered <- deliveryInfo{id}
	return id
}

func (a *countingAccumulator) Delivered() <-chan telegraf.DeliveryInfo { return a.delivered }

// economyFixture is an emulator in this process and the plugin's files.
type economyFixture struct {
	emu   *plaidemu.Emulator
	items []plaidemu.ItemInfo
	ws    *Workspace
}

func newEconomyFixture(t *testing.T, items, historyDays int) *economyFixture {
	t.Helper()
	emu, err := plaidemu.New(plaidemu.Config{Seed: 7, Items: items, HistoryDays: historyDays, TxPerDay: 6, ClientID: ClientID, Secret: Secret})
	require.NoError(t, err)
	url, err := emu.Serve("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, emu.Close()) })
	ws, err := NewWorkspace(t.TempDir(), url, emu.Items(), PluginConfig{})
	require.NoError(t, err)
	return &economyFixture{emu: emu, items: emu.Items(), ws: ws}
}

// plugin starts the plugin in this process on the fixture's files, as a new
// process would: it reads the state store left by the previous one.
func (f *economyFixture) plugin(t *testing.T, configure func(*plaid.Plaid)) *plaid.Plaid {
	t.Helper()
	p := plaid.New()
	p.AccountsFile, p.StateDir, p.Timezone = f.ws.AccountsFile, f.ws.StateDir, "UTC"
	p.Log = execdlog.New(io.Discard, execdlog.LevelInfo)
	if configure != nil {
		configure(p)
	}
	require.NoError(t, p.Init())
	t.Cleanup(p.Stop)
	return p
}

// gather runs one gather and checks that every item reported.
func (f *economyFixture) gather(t *testing.T, p *plaid.Plaid, acc *countingAccumulator) {
	t.Helper()
	require.NoError(t, p.Gather(acc))
	require.Equal(t, len(f.items), acc.takeItems(), "one plaid_item point per item per gather")
	for _, r := range p.Results() {
		require.False(t, r.Failed(), "%s: %s: %v", r.Name, r.Status, r.Err)
	}
}

// requireCallsPerItem checks each item's calls by endpoint exactly.
func (f *economyFixture) requireCallsPerItem(t *testing.T, want map[string]int, context string) {
	t.Helper()
	stats := f.emu.Stats()
	for _, it := range f.items {
		require.Equal(t, want, stats.ByItem[it.Name], "%s: %s", context, it.Name)
	}
	total := 0
	for _, n := range want {
		total += n
	}
	calls := 0
	for _, n := range stats.Calls {
		calls += n
	}
	require.Equal(t, total*len(f.items), calls, "%s: calls not on behalf of an item: %v", context, stats.Calls)
}

func realtime(balanceInterval, statusInterval time.Duration) func(*plaid.Plaid) {
	return func(p *plaid.Plaid) {
		p.Balances = "realtime"
		p.BalanceInterval = config.Duration(balanceInterval)
		p.ItemStatusInterval = config.Duration(statusInterval)
	}
}

func TestSteadyStateCallPattern(t *testing.T) {
	const gathers = 5
	f := newEconomyFixture(t, 3, 60)
	acc := &countingAccumulator{}

	// The first gather backfills and polls everything once.
	p := f.plugin(t, realtime(6*time.Hour, time.Hour))
	f.gather(t, p, acc)
	stats := f.emu.Stats()
	for _, it := range f.items {
		require.Equal(t, 1, stats.ByItem[it.Name]["/accounts/balance/get"], it.Name)
		require.Equal(t, 1, stats.ByItem[it.Name]["/item/get"], it.Name)
		require.Equal(t, 1, stats.ByItem[it.Name]["/liabilities/get"], "%s has a card or loan", it.Name)
		require.LessOrEqual(t, stats.ByItem[it.Name]["/investments/holdings/get"], 1, it.Name)
		require.Equal(t, stats.ByItem[it.Name]["/investments/holdings/get"], stats.ByItem[it.Name]["/investments/transactions/get"],
			"%s: investment transactions where there are holdings", it.Name)
		require.Zero(t, stats.ByItem[it.Name]["/accounts/get"], it.Name)
	}

	// Nothing new at Plaid, nothing due: one /transactions/sync per item.
	f.emu.ResetStats()
	for range gathers {
		f.gather(t, p, acc)
	}
	f.requireCallsPerItem(t, map[string]int{"/transactions/sync": gathers}, "steady state")
	for _, r := range p.Results() {
		require.EqualValues(t, 1, r.APICalls, "%s: api_calls of a steady-state gather", r.Name)
	}

	// A restart keeps the state: still no billed call within balance_interval.
	p.Stop()
	f.emu.ResetStats()
	p = f.plugin(t, realtime(6*time.Hour, time.Hour))
	for range gathers {
		f.gather(t, p, acc)
	}
	f.requireCallsPerItem(t, map[string]int{"/transactions/sync": gathers}, "after a restart")

	// Intervals shorter than a gather: each poll once per gather, no more.
	p.Stop()
	f.emu.ResetStats()
	p = f.plugin(t, realtime(time.Nanosecond, time.Nanosecond))
	for range gathers {
		f.gather(t, p, acc)
	}
	f.requireCallsPerItem(t, map[string]int{"/transactions/sync": gathers, "/item/get": gathers, "/accounts/balance/get": gathers}, "intervals due")

	// Cached balances use the free endpoint, never the billed one.
	p.Stop()
	f.emu.ResetStats()
	p = f.plugin(t, func(p *plaid.Plaid) {
		p.Balances = "cached"
		p.BalanceInterval = config.Duration(time.Nanosecond)
	})
	for range gathers {
		f.gather(t, p, acc)
	}
	f.requireCallsPerItem(t, map[string]int{"/transactions/sync": gathers, "/accounts/get": gathers}, "cached balances due")

	// Liabilities due at every gather: one /liabilities/get each, no more.
	p.Stop()
	f.emu.ResetStats()
	p = f.plugin(t, func(p *plaid.Plaid) { p.LiabilitiesInterval = config.Duration(time.Nanosecond) })
	for range gathers {
		f.gather(t, p, acc)
	}
	f.requireCallsPerItem(t, map[string]int{"/transactions/sync": gathers, "/liabilities/get": gathers}, "liabilities due")

	// Turned off: never asked.
	p.Stop()
	f.emu.ResetStats()
	p = f.plugin(t, func(p *plaid.Plaid) {
		p.Liabilities = false
		p.LiabilitiesInterval = config.Duration(time.Nanosecond)
	})
	for range gathers {
		f.gather(t, p, acc)
	}
	f.requireCallsPerItem(t, map[string]int{"/transactions/sync": gathers}, "liabilities off")

	// Holdings due at every gather: one call each for the item that has
	// investments, none for the others.
	p.Stop()
	f.emu.ResetStats()
	p = f.plugin(t, func(p *plaid.Plaid) {
		p.HoldingsInterval = config.Duration(time.Nanosecond)
		p.InvestmentTransactionsInterval = config.Duration(time.Nanosecond)
	})
	for range gathers {
		f.gather(t, p, acc)
	}
	invested := 0
	for _, it := range f.items {
		calls := f.emu.Stats().ByItem[it.Name]
		switch n := calls["/investments/holdings/get"]; n {
		case 0:
			require.Equal(t, map[string]int{"/transactions/sync": gathers}, calls, it.Name)
		case gathers:
			invested++
			require.Equal(t, map[string]int{"/transactions/sync": gathers, "/investments/holdings/get": gathers,
				"/investments/transactions/get": gathers}, calls, "%s: one page of investment transactions", it.Name)
		default:
			t.Fatalf("%s: %d holdings calls in %d gathers", it.Name, n, gathers)
		}
	}
	require.Positive(t, invested, "an item with investments")

	// The full re-read due at every poll of investment transactions: the
	// 24 months fit one page, so it costs no more call than the window.
	p.Stop()
	f.emu.ResetStats()
	p = f.plugin(t, func(p *plaid.Plaid) {
		p.InvestmentTransactionsInterval = config.Duration(time.Nanosecond)
		p.InvestmentTransactionsFullReread = config.Duration(time.Nanosecond)
	})
	for range gathers {
		f.gather(t, p, acc)
	}
	for _, it := range f.items {
		calls := f.emu.Stats().ByItem[it.Name]
		want := map[string]int{"/transactions/sync": gathers}
		if calls["/investments/transactions/get"] > 0 {
			want["/investments/transactions/get"] = gathers
		}
		require.Equal(t, want, calls, "%s: full re-reads", it.Name)
	}
}

// heapInUse is the live heap after two collections.
func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func fileSize(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		info, err := os.Stat(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		total += info.Size()
	}
	return total
}

// Memory bounds of a long-running plugin, measured in gathers, not time:
// after warming up, 450 more steady-state gathers may add at most 128 KiB of
// live heap (under 300 bytes a gather, so that a leak of one log line, metric
// or map entry per gather fails; the measured noise is under 32 KiB) and
// must not grow the state store at all.
func TestSteadyStateMemoryBounded(t *testing.T) {
	const (
		warmup        = 50
		total         = 500
		maxHeapGrowth = 128 << 10
	)
	f := newEconomyFixture(t, 3, 30)
	acc := &countingAccumulator{}
	p := f.plugin(t, nil)
	f.gather(t, p, acc) // backfill
	for range warmup {
		f.gather(t, p, acc)
	}
	heapWarm, storeWarm := heapInUse(), fileSize(t, f.ws.StateDir)
	for range total - warmup {
		f.gather(t, p, acc)
	}
	heapEnd, storeEnd := heapInUse(), fileSize(t, f.ws.StateDir)
	t.Logf("live heap after %d gathers: %d B, after %d: %d B; state store %d B -> %d B", warmup, heapWarm, total, heapEnd, storeWarm, storeEnd)
	require.LessOrEqual(t, int64(heapEnd)-int64(heapWarm), int64(maxHeapGrowth), "live heap grew by %d B over %d gathers", int64(heapEnd)-int64(heapWarm), total-warmup)
	require.LessOrEqual(t, storeEnd, storeWarm, "the state store grew in steady state")
}
