package plaidemu

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The one-minute window cannot be waited for in a test, so the limiter is
// driven with explicit times.
func TestRateLimiterWindow(t *testing.T) {
	l := newRateLimiter(0)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		require.True(t, l.allow("/accounts/balance/get", "item-a", t0.Add(time.Duration(i)*time.Second)))
	}
	require.False(t, l.allow("/accounts/balance/get", "item-a", t0.Add(10*time.Second)))
	require.True(t, l.allow("/accounts/balance/get", "item-b", t0.Add(10*time.Second)))
	require.False(t, l.allow("/accounts/balance/get", "item-a", t0.Add(59*time.Second)), "the first call is still in the window")
	require.True(t, l.allow("/accounts/balance/get", "item-a", t0.Add(60*time.Second)), "the first call left the window")
	require.False(t, l.allow("/accounts/balance/get", "item-a", t0.Add(60*time.Second)))
	require.True(t, l.allow("/institutions/get_by_id", "", t0), "endpoints without a limit")

	// The client-wide limit counts every item.
	for i := range 100 {
		require.True(t, l.allow("/transactions/refresh", string(rune('a'+i%26))+string(rune('a'+i/26)), t0))
	}
	require.False(t, l.allow("/transactions/refresh", "fresh-item", t0))
}
