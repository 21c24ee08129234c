package plaid

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// A first gather of 2,000 items against an emulator that enforces Plaid's
// per-client limits (counted in 10 s windows instead of a minute, so that
// the test reaches them quickly; the plugin counts in the same window) is
// spread within the limits: no call is refused and every item syncs.
// Realtime balances: /accounts/balance/get has the lowest limit, 1,200.
func TestAFirstGatherOf2000ItemsStaysWithinTheClientLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 items: run without -short")
	}
	const items, window = 2000, 10 * time.Second
	h := newHarness(t, plaidemu.Config{Items: items, HistoryDays: 5, TxPerDay: 2, RateLimits: true, RateLimitWindow: window})
	p := h.plugin(func(p *Plaid) {
		p.MaxConcurrency = 16
		p.Timeout = duration(2 * time.Minute)
		p.rateWindow = window
		if os.Getenv("PLAID_TEST_NO_CLIENT_LIMITS") != "" {
			// To see what the emulator refuses without them.
			p.ClientRateLimits = map[string]int{}
			for path := range defaultClientRateLimits {
				p.ClientRateLimits[path] = 1 << 30
			}
		}
		p.Balances = balancesRealtime
	})
	d := newDelivery()
	start := time.Now()
	d.gather(t, p)
	elapsed := time.Since(start)

	statuses := map[string]int{}
	for _, r := range p.Results() {
		statuses[r.Status]++
	}
	s := h.emu.Stats()
	t.Logf("%d items in %s: statuses %v; calls %v; refused %v", items, elapsed.Round(time.Millisecond), statuses, s.Calls, h.emu.Limited())
	require.Empty(t, h.emu.Limited(), "calls refused with 429")
	require.Equal(t, map[string]int{statusOK: items}, statuses)
	// /accounts/balance/get allows 1,200 calls a window: 2,000 items need
	// more than one window, so the limiter did spread them.
	require.Equal(t, items, s.Calls["/accounts/balance/get"])
	require.Greater(t, elapsed, window*2000/1200-window)
}

// Items a gather's deadline leaves out go first in the next gather, so that
// under a tight limit every item syncs in turn and none waits for ever.
func TestItemsCutShortByTheLimitGoFirstNextTime(t *testing.T) {
	const items = 12
	h := newHarness(t, plaidemu.Config{Items: items, HistoryDays: 5, TxPerDay: 2})
	p := h.plugin(func(p *Plaid) {
		p.MaxConcurrency = 1
		p.Timeout = duration(1500 * time.Millisecond)
		// About 2 syncs a second (a burst of 1), well below the emulator's.
		p.ClientRateLimits = map[string]int{"/transactions/sync": 120}
	})
	d := newDelivery()
	synced := map[string]int{}
	var behind map[string]bool // cut short by the gather before
	for gather := 1; gather <= 12 && len(synced) < items; gather++ {
		d.gather(t, p)
		var reached []string
		cut := map[string]bool{}
		for _, r := range p.Results() {
			if r.Status == statusOK {
				reached = append(reached, r.Name)
				synced[r.Name]++
			} else {
				require.Equal(t, statusIncomplete, r.Status, r.Name)
				cut[r.Name] = true
			}
		}
		t.Logf("gather %d: %d items synced, %d cut short", gather, len(reached), len(cut))
		require.NotEmpty(t, reached)
		require.NotEmpty(t, cut, "the limit should cut the gather short")
		stillBehind := false
		for name := range behind {
			stillBehind = stillBehind || cut[name]
		}
		if stillBehind {
			// Items cut short before are still waiting: only they may
			// have synced.
			for _, name := range reached {
				require.True(t, behind[name], "gather %d synced %s before the items cut short earlier", gather, name)
			}
		}
		behind = cut
	}
	require.Len(t, synced, items, "every item synced within a bounded number of gathers")
}

// The client-wide limit of /investments/transactions/get holds as the
// others do: with room for one call in the window, one gather asks for the
// history of one invested item, and the others wait for a later gather.
func TestInvestmentTransactionsStayWithinTheClientLimit(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 12, HistoryDays: 30, TxPerDay: 2})
	invested := 0
	for _, it := range h.emu.GroundTruth().Items {
		if slices.ContainsFunc(it.Accounts, func(a plaidemu.AccountTruth) bool { return a.Type == "investment" }) {
			invested++
		}
	}
	require.GreaterOrEqual(t, invested, 2, "seed 15 gives two items an investment account")
	p := h.plugin(func(p *Plaid) {
		p.InvestmentTransactions = true
		p.ClientRateLimits = map[string]int{"/investments/transactions/get": 1}
		p.rateWindow = time.Hour // no refill within the test
	})
	d := newDelivery()
	d.gather(t, p)
	require.Equal(t, 1, h.emu.Stats().Calls["/investments/transactions/get"])
	require.Equal(t, invested, h.emu.Stats().Calls["/investments/holdings/get"], "holdings have their own limit")
}

// Whatever the pattern of calls, no window of Plaid's (a sliding one, as
// the emulator counts) sees more calls let go than the limit allows; and
// callers that keep coming get at least 90 % of it.
func TestTheClientLimiterNeverExceedsALimitInAnyWindow(t *testing.T) {
	const window = time.Minute
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, limit := range []int{1, 2, 50, 100, 1000, 1200, 2500, 15000} {
		for _, shares := range []int{1, 3} {
			for _, pauses := range []bool{false, true} {
				lim := newClientLimiter(map[string]int{"/x": limit}, shares, window).byPath["/x"]
				rng := rand.New(rand.NewPCG(uint64(limit), uint64(shares)))
				now := start
				var let []time.Time
				for now.Sub(start) < 10*window {
					next, ok := lim.take(now)
					if !ok {
						now = next.Add(time.Duration(rng.Int64N(int64(time.Millisecond))))
						continue
					}
					let = append(let, now)
					if pauses && rng.IntN(50) == 0 {
						now = now.Add(time.Duration(rng.Int64N(int64(window / 4))))
					}
				}
				most := 0
				for i, from := 0, 0; i < len(let); i++ {
					for let[i].Sub(let[from]) >= window {
						from++
					}
					most = max(most, i-from+1)
				}
				allowed := max(limit/shares, 1)
				name := fmt.Sprintf("limit %d / %d shares, pauses %v", limit, shares, pauses)
				require.LessOrEqual(t, most, allowed, name)
				if !pauses && allowed >= 50 {
					require.GreaterOrEqual(t, most, allowed*90/100, name+": the allowance is wasted")
				}
			}
		}
	}
}
