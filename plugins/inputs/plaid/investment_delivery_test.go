package plaid

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// investmentWrites counts, by investment_transaction_id, the
// plaid_investment_transaction points of a gather's output.
func investmentWrites(acc *testutil.Accumulator) map[string]int {
	out := map[string]int{}
	for _, m := range acc.GetTelegrafMetrics() {
		if m.Name() == measurementInvestmentTxn {
			id, _ := m.GetField("investment_transaction_id")
			out[id.(string)]++
		}
	}
	return out
}

// foldCents is sum(amount) over every point the fold holds, tombstones
// included, as a dashboard adds it up without a filter.
func foldCents(fold influxFold) int64 {
	var c int64
	for _, f := range fold {
		c += cents(f["amount"].(float64))
	}
	return c
}

func cents(x float64) int64 { return int64(math.Round(x * 100)) }

func truthCents(truth []plaidemu.InvestmentTxnTruth) int64 {
	var c int64
	for _, tr := range truth {
		c += cents(tr.Amount)
	}
	return c
}

// A process killed after handing out its investment transactions, and the
// next one whose write Telegraf fails, leave them listed in the outbox: the
// process after writes each of them exactly once, and the one after that
// writes nothing again.
func TestUndeliveredInvestmentTransactionsAreWrittenOnce(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 90, TxPerDay: 3, Today: liabilityToday})
	// No replay, so that what is written comes from the outbox alone.
	configure := func(p *Plaid) { p.now = emuClock(h.emu); p.ReplayWindow = 0 }
	invested := h.emu.Items()[1].Name
	truth := itemTruth(t, h.emu.GroundTruth(), invested).InvestmentTransactions
	require.NotEmpty(t, truth)

	killed := h.plugin(configure)
	acc := &testutil.Accumulator{}
	require.NoError(t, killed.Gather(acc))
	require.Len(t, investmentWrites(acc), len(truth), "handed out")
	killed.Stop()

	failed := h.plugin(configure)
	acc = &testutil.Accumulator{}
	require.NoError(t, failed.Gather(acc))
	for _, m := range acc.GetTelegrafMetrics() {
		m.Reject()
	}
	require.Len(t, investmentWrites(acc), len(truth), "written again from the outbox")
	failed.Stop()

	next := h.plugin(configure)
	d := newDelivery()
	fold := influxFold{}
	fold.add(t, d.gather(t, next))
	writes := investmentWrites(d.acc)
	lost, doubled := 0, 0
	for _, tr := range truth {
		switch n := writes[tr.ID]; {
		case n == 0:
			lost++
		case n > 1:
			doubled += n - 1
		}
	}
	require.Zero(t, lost)
	require.Zero(t, doubled)
	require.Len(t, writes, len(truth), "nothing but the undelivered points")
	requireInvestmentsMatch(t, fold, itemTruth(t, h.emu.GroundTruth(), invested))
	require.Equal(t, truthCents(truth), foldCents(fold))
	next.Stop()

	last := h.plugin(configure)
	require.Zero(t, fold.add(t, newDelivery().gather(t, last)), "delivered once, never written again")
	t.Logf("%d investment transactions handed out by a killed process and failed by Telegraf in the next: written %d times by the third, %d lost, %d doubled, sum(amount) %d cents = Plaid's",
		len(truth), len(writes), lost, doubled, foldCents(fold))
}

// The replay writes investment transactions dated within replay_window
// again, like transactions: points lost downstream come back.
func TestReplayWritesInvestmentTransactionsAgain(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 90, TxPerDay: 3, Today: liabilityToday})
	configure := func(p *Plaid) { p.now = emuClock(h.emu) }
	invested := h.emu.Items()[1].Name
	first := h.plugin(configure)
	newDelivery().gather(t, first) // delivered to Telegraf, lost downstream
	first.Stop()

	second := h.plugin(configure)
	h.emu.ResetStats()
	d := newDelivery()
	fold := influxFold{}
	fold.add(t, d.gather(t, second))
	require.Zero(t, h.emu.Stats().ByItem[invested]["/investments/transactions/get"], "not due: the replay reads the ledger")
	cutoff := liabilityToday.AddDate(0, 0, -30).Format(time.DateOnly)
	var recent []plaidemu.InvestmentTxnTruth
	for _, tr := range itemTruth(t, h.emu.GroundTruth(), invested).InvestmentTransactions {
		if tr.Date >= cutoff {
			recent = append(recent, tr)
		}
	}
	require.NotEmpty(t, recent)
	live := fold.live(t)
	require.Len(t, live, len(recent), "every investment transaction of the last 30 days, no other")
	for _, tr := range recent {
		require.Contains(t, live, tr.ID)
	}
}

// A state store lost after a gather whose investment transactions never
// reached Telegraf, then a correction and a removal at the bank: the
// rebuilt store writes them, and InfluxDB ends equal to the bank.
func TestDamagedStateStoreRecoversInvestmentTransactions(t *testing.T) {
	for name, harm := range map[string]func(t *testing.T, path string){
		"deleted":                     func(t *testing.T, path string) { require.NoError(t, os.Remove(path)) },
		"both meta pages overwritten": func(t *testing.T, path string) { overwrite(t, path, 0, 2*4096) },
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 90, TxPerDay: 3, Today: liabilityToday})
			state := filepath.Join(h.dir, "state")
			invested := h.emu.Items()[1].Name
			fold := influxFold{}
			run := func(log *testutil.CaptureLogger, deliver bool) {
				p := newPlugin(h.ini, state, log)
				// No replay: what the rebuilt store writes comes from it alone.
				p.now, p.InvestmentTransactionsInterval, p.ReplayWindow = emuClock(h.emu), duration(24*time.Hour), 0
				require.NoError(t, p.Init())
				if deliver {
					fold.add(t, newDelivery().gather(t, p))
				} else {
					require.NoError(t, p.Gather(&testutil.Accumulator{}))
				}
				p.Stop()
			}
			run(&testutil.CaptureLogger{}, true)  // the history; its close leaves a snapshot
			advance(t, h, 1)                      // March 15: a buy
			run(&testutil.CaptureLogger{}, false) // handed out, journaled, never delivered

			harm(t, filepath.Join(state, "plaid-state.db"))
			truth := itemTruth(t, h.emu.GroundTruth(), invested).InvestmentTransactions
			var dividend, fee plaidemu.InvestmentTxnTruth
			for _, tr := range truth {
				switch tr.Subtype {
				case "dividend":
					dividend = tr
				case "account fee":
					fee = tr
				}
			}
			require.NoError(t, h.emu.CorrectInvestmentTransaction(invested, dividend.ID, dividend.Amount+1.25))
			require.NoError(t, h.emu.RemoveInvestmentTransaction(invested, fee.ID))
			advance(t, h, 1)
			log := &testutil.CaptureLogger{}
			run(log, true)

			require.Contains(t, strings.Join(log.Warnings(), "\n"), "nothing is lost or counted twice")
			require.Empty(t, log.Errors())
			after := itemTruth(t, h.emu.GroundTruth(), invested)
			requireInvestmentsMatch(t, fold, after)
			require.Equal(t, truthCents(after.InvestmentTransactions), foldCents(fold))
			t.Logf("%s: recovered; %d investment transactions, sum(amount) %d cents in InfluxDB = Plaid's, after a buy never delivered, a restated dividend and a withdrawn fee",
				name, len(after.InvestmentTransactions), foldCents(fold))
		})
	}
}

// A null fees is left out of the point, and of its replay from the ledger;
// a trade's fees are written.
func TestNullFeesAreLeftOut(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 90, TxPerDay: 3, Today: liabilityToday})
	configure := func(p *Plaid) {
		p.now = emuClock(h.emu)
	}
	first := h.plugin(configure)
	check := func(acc *testutil.Accumulator) (without, with int) {
		for _, m := range acc.GetTelegrafMetrics() {
			if m.Name() != measurementInvestmentTxn {
				continue
			}
			fees, ok := m.GetField("fees")
			kind := m.Tags()["type"]
			switch kind {
			case "buy", "sell":
				require.True(t, ok, "a trade has fees")
				require.Equal(t, 4.95, fees)
				with++
			default:
				require.False(t, ok, "%s: fees %v written for Plaid's null", kind, fees)
				without++
			}
		}
		return without, with
	}
	d := newDelivery()
	d.gather(t, first)
	without, with := check(d.acc)
	require.Positive(t, without)
	require.Positive(t, with)
	first.Stop()

	replayed := newDelivery()
	replayed.gather(t, h.plugin(configure))
	rw, rt := check(replayed.acc)
	require.Positive(t, rw+rt, "the replay wrote investment transactions")
	t.Logf("fees left out of %d points Plaid gave null fees (%d in the replay), written on %d trades", without, rw, with)
}

// A removal older than investment_transactions_window is found by the full
// re-read once investment_transactions_full_reread has passed, not before;
// sum(amount) is then exact again.
func TestFullRereadTombstonesAnOldRemoval(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 120, TxPerDay: 3, Today: liabilityToday})
	p := h.plugin(dailyPolls(h))
	d := newDelivery()
	fold := influxFold{}
	fold.add(t, d.gather(t, p))
	invested := h.emu.Items()[1].Name
	truth := func() plaidemu.ItemTruth { return itemTruth(t, h.emu.GroundTruth(), invested) }

	// The investment transaction dated closest to 60 days back, outside
	// the 30-day window.
	var old plaidemu.InvestmentTxnTruth
	age := func(tr plaidemu.InvestmentTxnTruth) int {
		d, err := time.Parse(time.DateOnly, tr.Date)
		require.NoError(t, err)
		return int(liabilityToday.Sub(d).Hours() / 24)
	}
	for _, tr := range truth().InvestmentTransactions {
		if old.ID == "" || abs(age(tr)-60) < abs(age(old)-60) {
			old = tr
		}
	}
	require.Greater(t, age(old), 45, "%s is outside the window", old.Date)
	require.NoError(t, h.emu.RemoveInvestmentTransaction(invested, old.ID))

	days := 0
	for ; days < 6; days++ {
		advance(t, h, 1)
		fold.add(t, d.gather(t, p))
		require.Contains(t, fold.live(t), old.ID, "day %d: the window does not reach it", days+1)
	}
	require.NotEqual(t, truthCents(truth().InvestmentTransactions), foldCents(fold))

	h.emu.ResetStats()
	advance(t, h, 1)
	fold.add(t, d.gather(t, p))
	days++
	requireInvestmentsMatch(t, fold, truth())
	require.Equal(t, truthCents(truth().InvestmentTransactions), foldCents(fold), "sum(amount) is exact again")
	calls := h.emu.Stats().ByItem[invested]["/investments/transactions/get"]
	require.Equal(t, 1, calls, "the 24 months fit one page")
	t.Logf("a %s of %s withdrawn %d days later: tombstoned by the full re-read %d days after, in %d call; sum(amount) %d cents = Plaid's",
		old.Subtype, old.Date, age(old), days, calls, foldCents(fold))
}

func abs(n int) int { return max(n, -n) }
