package plaid

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// instance is one plaid-sync process of a fleet: its own state_dir, the
// shared accounts_file.
func (h *harness) instance(name string, configure func(*Plaid)) *Plaid {
	h.t.Helper()
	p := newPlugin(h.ini, filepath.Join(h.dir, "state-"+name), testutil.Logger{Quiet: true})
	configure(p)
	require.NoError(h.t, p.Init())
	h.t.Cleanup(p.Stop)
	return p
}

func syncCalls(s plaidemu.Stats) map[string]int {
	out := map[string]int{}
	for item, calls := range s.ByItem {
		if n := calls["/transactions/sync"]; n > 0 {
			out[item] = n
		}
	}
	return out
}

// Three instances with shard = "0/3", "1/3", "2/3" on one accounts_file
// sync every item exactly once between them, an item linked while they run
// included, and together write what the bank holds.
func TestThreeShardsSyncEveryItemExactlyOnce(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 3, Items: 13, HistoryDays: 10, TxPerDay: 3})
	items := h.emu.Items()
	h.writeINI(items[:12]...)
	var shards []*Plaid
	var deliveries []*delivery
	for i := range 3 {
		shards = append(shards, h.instance(fmt.Sprint(i), func(p *Plaid) { p.Shard = fmt.Sprintf("%d/3", i) }))
		deliveries = append(deliveries, newDelivery())
	}
	view := newInfluxView()
	round := func() map[string]int {
		h.emu.ResetStats()
		for i, p := range shards {
			ms := deliveries[i].gather(t, p)
			view.add(ms...)
			require.NotEmpty(t, gatheredItems(ms), "shard %d/3 has no items", i)
			for _, name := range gatheredItems(ms) {
				require.Equal(t, i, ShardOf(name, 3), "%s synced by shard %d", name, i)
			}
		}
		return syncCalls(h.emu.Stats())
	}
	want := map[string]int{}
	for _, it := range items[:12] {
		want[it.Name] = 1
	}
	require.Equal(t, want, round())

	// linktool links a 13th bank while the three run.
	h.writeINI(items...)
	want[items[12].Name] = 1
	require.Equal(t, want, round())
	requireMatchesTruth(t, view, h.emu.GroundTruth())

	// -shard-plan says the same from the file alone.
	var plan bytes.Buffer
	require.NoError(t, shards[1].ShardPlan(&plan))
	for _, it := range items {
		owner := ShardOf(it.Name, 3)
		line := fmt.Sprintf("%d/3\t%s", owner, it.Name)
		if owner == 1 {
			line += "\t(this instance)"
		}
		require.Contains(t, plan.String(), line+"\n")
	}
	t.Logf("shard plan:\n%s", plan.String())
}

func TestShardOptionIsChecked(t *testing.T) {
	for _, bad := range []string{"3/3", "-1/3", "1", "a/b", "0/0"} {
		_, err := parseShard(bad)
		require.ErrorContains(t, err, `is not "I/N"`, bad)
	}
	sh, err := parseShard(" 2 / 5 ")
	require.NoError(t, err)
	require.Equal(t, shard{2, 5}, sh)
}

// transactionLines is the transaction points of a gather as sorted
// strings. Balances and plaid_item are stamped with the time of the poll,
// which differs between two processes.
func transactionLines(metrics []telegraf.Metric) []string {
	var out []string
	for _, m := range metrics {
		if m.Name() != measurementTransaction {
			continue
		}
		out = append(out, fmt.Sprintf("%s %v %v %d", m.Name(), m.Tags(), m.Fields(), m.Time().UnixNano()))
	}
	sort.Strings(out)
	return out
}

// Two instances syncing the same items into one InfluxDB (active-active,
// for availability) write exactly the same points: InfluxDB keeps one of
// each, nothing is doubled, and the sums equal the bank's.
func TestTwoInstancesActiveActiveWriteTheSamePoints(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 4, Items: 4, HistoryDays: 30, TxPerDay: 4})
	a := h.instance("a", func(*Plaid) {})
	b := h.instance("b", func(*Plaid) {})
	da, db := newDelivery(), newDelivery()
	view := newInfluxView()
	for gather := range 3 {
		if gather > 0 {
			// A day passes at the bank: new, changed and removed transactions.
			_, err := h.emu.Advance(1)
			require.NoError(t, err)
		}
		ma, mb := da.gather(t, a), db.gather(t, b)
		la, lb := transactionLines(ma), transactionLines(mb)
		require.Equal(t, la, lb, "gather %d", gather)
		t.Logf("gather %d: both instances wrote the same %d transaction points", gather, len(la))
		if gather == 0 {
			require.NotEmpty(t, la)
		}
		view.add(ma...)
		view.add(mb...)
	}
	requireMatchesTruth(t, view, h.emu.GroundTruth())
}
