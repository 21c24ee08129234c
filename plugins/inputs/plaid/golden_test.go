package plaid

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	serializers_influx "github.com/influxdata/telegraf/plugins/serializers/influx"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// updateGolden rewrites the files of testdata/golden from what the plugin
// writes now: go test ./plugins/inputs/plaid -run Golden -update-golden.
// Read the diff before committing it: it is the change of the plugin's
// output that users will see.
var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden from the plugin's output")

// accountsFilePlaceholder stands for the test's accounts_file path, which
// update_command names and which changes from run to run.
const accountsFilePlaceholder = "@ACCOUNTS_FILE@"

// goldenClock is the plugin's fixed clock: plaid_balance and plaid_item
// points carry its time, and balance and item status intervals count on it.
// The emulator runs on the same clock, for the item status times it
// reports (last_successful_update, consent_expiration).
type goldenClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *goldenClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *goldenClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// goldenToday is the emulated bank's date; the plugin's clock starts at
// noon of that day.
var goldenToday = time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)

// Golden tests compare every tag, field and timestamp of every point the
// plugin writes with the line protocol in testdata/golden. The emulator's
// seed and date are fixed and the plugin runs on a fixed clock, so the
// output is the same on every run, with one exception: plaid_item's
// sync_seconds is wall-clock time spent in the gather. It is left out of the
// comparison (the only field that is) and checked on its own to be there,
// a float, and within the gather's timeout.
func TestGolden(t *testing.T) {
	clock := &goldenClock{now: goldenToday.Add(12 * time.Hour)}
	h := newHarness(t, plaidemu.Config{Seed: 5, Items: 1, HistoryDays: 6, TxPerDay: 3, Today: goldenToday, Now: clock.Now})
	p := h.plugin(func(p *Plaid) { p.now = clock.Now })
	d := newDelivery()

	t.Run("backfill", func(t *testing.T) {
		requireGolden(t, h, "backfill.lp", d.gather(t, p))
	})
	t.Run("a day of changes with a tombstone", func(t *testing.T) {
		summary, err := h.emu.Advance(1)
		require.NoError(t, err)
		require.Positive(t, summary.Removed+summary.Posted+summary.Dropped, "the day removes a transaction: %+v", summary)
		clock.advance(24 * time.Hour)
		metrics := d.gather(t, p)
		requireGolden(t, h, "day.lp", metrics)
		require.True(t, hasTombstone(metrics), "the day's points include a tombstone")
	})
	t.Run("balance poll", func(t *testing.T) {
		clock.advance(time.Duration(p.BalanceInterval))
		requireGolden(t, h, "balances.lp", d.gather(t, p))
	})
	t.Run("item error", func(t *testing.T) {
		_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "*", ErrorCode: "ITEM_LOGIN_REQUIRED"})
		require.NoError(t, err)
		clock.advance(time.Hour)
		acc := &testutil.Accumulator{}
		require.NoError(t, p.Gather(acc))
		requireGolden(t, h, "item_error.lp", acc.GetTelegrafMetrics())
		require.Len(t, acc.Errors, 1, "one gather error for the item")
		require.Contains(t, acc.Errors[0].Error(), "ITEM_LOGIN_REQUIRED")
	})
}

func hasTombstone(metrics []telegraf.Metric) bool {
	for _, m := range metrics {
		if removed, ok := m.GetField("removed"); ok && removed == true && m.Name() == measurementTransaction {
			return true
		}
	}
	return false
}

// requireGolden compares metrics with testdata/golden/name, or rewrites it
// under -update-golden.
func requireGolden(t *testing.T, h *harness, name string, metrics []telegraf.Metric) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	for _, m := range metrics {
		if m.Name() != measurementItem {
			continue
		}
		v, ok := m.GetField("sync_seconds")
		require.True(t, ok, "plaid_item has sync_seconds")
		secs, ok := v.(float64)
		require.True(t, ok, "sync_seconds is a float, not %T", v)
		require.True(t, secs >= 0 && secs < (5*time.Minute).Seconds(), "sync_seconds %v", secs)
	}
	if *updateGolden {
		writeGolden(t, h, path, metrics)
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update-golden to create it")
	raw = bytes.ReplaceAll(raw, []byte(accountsFilePlaceholder), []byte(h.ini))
	parser := &influx.Parser{}
	require.NoError(t, parser.Init())
	expected, err := parser.Parse(raw)
	require.NoError(t, err)
	require.NotEmpty(t, expected)
	testutil.RequireMetricsEqual(t, expected, metrics, testutil.SortMetrics(), testutil.IgnoreFields("sync_seconds"))
}

func writeGolden(t *testing.T, h *harness, path string, metrics []telegraf.Metric) {
	t.Helper()
	serializer := &serializers_influx.Serializer{SortFields: true}
	require.NoError(t, serializer.Init())
	lines := make([]string, 0, len(metrics))
	for _, m := range metrics {
		if m.Name() == measurementItem {
			m = m.Copy()
			m.RemoveField("sync_seconds")
		}
		b, err := serializer.Serialize(m)
		require.NoError(t, err)
		lines = append(lines, strings.ReplaceAll(string(b), h.ini, accountsFilePlaceholder))
	}
	sort.Strings(lines)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644))
}
