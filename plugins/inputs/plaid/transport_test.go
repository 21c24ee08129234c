package plaid

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// The connection pool keeps a connection per call in flight: once the
// first gathers have opened them, a steady gather opens none, however high
// max_concurrency is.
func TestSteadyGathersReuseTheirConnections(t *testing.T) {
	for _, concurrency := range []int{4, 16} {
		h := newHarness(t, plaidemu.Config{Items: 32, HistoryDays: 5, TxPerDay: 2})
		p := h.plugin(func(p *Plaid) { p.MaxConcurrency = concurrency })
		d := newDelivery()
		d.gather(t, p)
		d.gather(t, p)
		h.emu.ResetStats()
		const gathers = 5
		for range gathers {
			d.gather(t, p)
		}
		s := h.emu.Stats()
		t.Logf("max_concurrency %d: %d calls, %d new connections over %d steady gathers", concurrency, s.Calls["/transactions/sync"], s.Connections, gathers)
		require.Equal(t, 32*gathers, s.Calls["/transactions/sync"])
		require.Zero(t, s.Connections, "max_concurrency %d", concurrency)
	}
}
