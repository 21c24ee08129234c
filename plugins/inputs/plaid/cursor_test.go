package plaid

import (
	"strings"
	"testing"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// Plaid resets an item and refuses its saved cursor: the same gather
// resyncs the whole history and retracts what Plaid dropped meanwhile.
func TestARejectedCursorRecoversWithinOneGather(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 21, Items: 2, HistoryDays: 45, TxPerDay: 5})
	log := &testutil.CaptureLogger{}
	p := h.plugin(func(p *Plaid) { p.Log = log })
	d := newDelivery()
	view := newInfluxView()
	view.add(d.gather(t, p)...)
	requireMatchesTruth(t, view, h.emu.GroundTruth())

	sum := advance(t, h, 2)
	require.Positive(t, sum.Posted+sum.Dropped+sum.Removed, "the days bring removals")
	reset := h.emu.Items()[0]
	_, err := h.emu.ResetCursors(reset.Name)
	require.NoError(t, err)

	log.Clear()
	view.add(d.gather(t, p)...)
	for _, r := range p.Results() {
		require.False(t, r.Failed(), "%s: %s %v", r.Name, r.Status, r.Err)
	}
	requireMatchesTruth(t, view, h.emu.GroundTruth())
	warnings := strings.Join(log.Warnings(), "\n")
	require.Contains(t, warnings, "["+reset.Name+"] Plaid no longer accepts the saved sync cursor")
	var reconciled string
	for _, m := range log.Messages() {
		if strings.Contains(m.Text, "full resync reconciled") {
			reconciled = m.Text
		}
	}
	require.Contains(t, reconciled, "["+reset.Name+"]")
	t.Logf("%s; the bank meanwhile posted %d, dropped %d, removed %d; InfluxDB equals the bank", reconciled, sum.Posted, sum.Dropped, sum.Removed)

	// The next gather is an ordinary one.
	calls := h.emu.Stats().Calls["/transactions/sync"]
	view.add(d.gather(t, p)...)
	require.Equal(t, calls+2, h.emu.Stats().Calls["/transactions/sync"], "one sync per item")
	requireMatchesTruth(t, view, h.emu.GroundTruth())
}
