package ledger

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInvestmentPointsSurviveAReopen(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	got, err := l.InvestmentPoints("Broker")
	require.NoError(t, err)
	require.Empty(t, got, "an item never polled has none")
	buy := InvestmentPoint{Live: true, Time: 1773446400000000123, Date: "2026-03-14",
		Tags:   map[string]string{"item": "Broker", "type": "buy"},
		Fields: map[string]any{"amount": 891.36, "name": "BUY VTI"}}
	gone := InvestmentPoint{Time: 1773446400000000456, Date: "2026-03-01", Tags: map[string]string{"item": "Broker", "type": "fee"},
		Fields: map[string]any{"amount": 0.0}}
	require.NoError(t, l.PutInvestmentPoints("Broker", map[string]InvestmentPoint{"inv1": buy, "inv2": gone}))
	require.NoError(t, l.Close())

	l = openTest(t, dir)
	got, err = l.InvestmentPoints("Broker")
	require.NoError(t, err)
	require.Equal(t, map[string]InvestmentPoint{"inv1": buy, "inv2": gone}, got)
	st, _, err := l.Item("Broker")
	require.NoError(t, err)
	require.Empty(t, st.Accounts, "the item's state is untouched")
}
