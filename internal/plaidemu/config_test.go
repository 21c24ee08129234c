package plaidemu_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func TestConfigDefaults(t *testing.T) {
	emu, err := plaidemu.New(plaidemu.Config{HistoryDays: 10})
	require.NoError(t, err)
	items := emu.Items()
	require.Len(t, items, 3)
	require.Equal(t, []string{"Test Chase", "Test Amex", "Test Wells"}, []string{items[0].Name, items[1].Name, items[2].Name})
	require.Equal(t, time.Now().UTC().Format(time.DateOnly), emu.GroundTruth().Today)
	require.Empty(t, emu.URL(), "not serving yet")

	none, err := plaidemu.New(plaidemu.Config{Items: -1})
	require.NoError(t, err)
	require.Empty(t, none.Items())
	require.Empty(t, none.GroundTruth().Items)

	many, err := plaidemu.New(plaidemu.Config{Items: 11, HistoryDays: 3, Today: fixedToday})
	require.NoError(t, err)
	names := map[string]bool{}
	for _, it := range many.Items() {
		require.False(t, names[it.Name], "duplicate name %s", it.Name)
		names[it.Name] = true
	}
	require.True(t, names["Test Chase 2"])
	require.True(t, names["Test Amex 2"])
	require.Equal(t, "2026-03-14", many.GroundTruth().Today)
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  plaidemu.Config
		want string
	}{
		{"history too long", plaidemu.Config{HistoryDays: 731}, "HistoryDays"},
		{"history negative", plaidemu.Config{HistoryDays: -5}, "HistoryDays"},
		{"negative items", plaidemu.Config{Items: -2}, "Items"},
		{"too many items", plaidemu.Config{Items: 5000}, "Items"},
		{"negative rate", plaidemu.Config{TxPerDay: -1}, "TxPerDay"},
		{"NaN rate", plaidemu.Config{TxPerDay: math.NaN()}, "TxPerDay"},
		{"huge rate", plaidemu.Config{TxPerDay: 10000}, "TxPerDay"},
		{"too much data", plaidemu.Config{Items: 1000, HistoryDays: 730, TxPerDay: 100}, "would generate"},
		{"not-ready below -1", plaidemu.Config{NotReadySyncs: -3}, "NotReadySyncs"},
		{"negative link TTL", plaidemu.Config{LinkTokenTTL: -time.Second}, "LinkTokenTTL"},
		{"ancient today", plaidemu.Config{Today: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}, "Today"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			emu, err := plaidemu.New(tc.cfg)
			require.Error(t, err)
			require.Nil(t, emu)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestServeAndClose(t *testing.T) {
	emu, err := plaidemu.New(plaidemu.Config{Items: 1, HistoryDays: 2})
	require.NoError(t, err)
	url, err := emu.Serve("127.0.0.1:0")
	require.NoError(t, err)
	require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, url)
	require.Equal(t, url, emu.URL())
	_, err = emu.Serve("127.0.0.1:0")
	require.Error(t, err, "serving twice")
	require.NoError(t, emu.Close())
	require.NoError(t, emu.Close(), "closing twice")
	_, err = emu.Serve("127.0.0.1:0")
	require.Error(t, err, "a closed emulator does not serve again")
}

func TestAdvanceValidation(t *testing.T) {
	emu, err := plaidemu.New(plaidemu.Config{Items: 1, HistoryDays: 2, Today: fixedToday})
	require.NoError(t, err)
	for _, days := range []int{0, -1, 366} {
		_, err := emu.Advance(days)
		require.Error(t, err)
	}
	sum, err := emu.Advance(365)
	require.NoError(t, err)
	require.Equal(t, "2027-03-14", sum.Today)
}

// The emulator serves 10,000 items, each with its own name and token.
func TestTenThousandItems(t *testing.T) {
	e, err := plaidemu.New(plaidemu.Config{Items: 10000, HistoryDays: 30, TxPerDay: 3})
	require.NoError(t, err)
	items := e.Items()
	require.Len(t, items, 10000)
	names, tokens := map[string]bool{}, map[string]bool{}
	for _, it := range items {
		names[it.Name], tokens[it.AccessToken] = true, true
	}
	require.Len(t, names, 10000)
	require.Len(t, tokens, 10000)
	_, err = plaidemu.New(plaidemu.Config{Items: 10001, HistoryDays: 1, TxPerDay: 1})
	require.ErrorContains(t, err, "up to 10000")
}
