package plaidemu_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func TestSyncSmallMatchesGroundTruth(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 7, HistoryDays: 90})
	gt := emu.GroundTruth()
	require.Len(t, gt.Items, 3)
	total := 0
	for _, info := range emu.Items() {
		l := newLedger()
		rep := syncItem(t, client, info.AccessToken, 250, l, nil)
		require.Equal(t, "HISTORICAL_UPDATE_COMPLETE", rep.updateStatus)
		requireLedgerMatchesTruth(t, l, itemByName(t, gt, info.Name))
		total += len(l.txns)
	}
	require.Equal(t, gt.Count, total)
}
