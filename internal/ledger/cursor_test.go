package ledger

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCursorTransitions(t *testing.T) {
	t.Run("a loop of three pages, applied", func(t *testing.T) {
		c := Cursor{Committed: "c0"}
		require.Equal(t, "c0", c.Start())
		require.NoError(t, c.staged("c1", true, true))
		require.Equal(t, Cursor{Phase: Fetching, Committed: "c0", Next: "c1", Pages: 1}, c)
		require.Equal(t, "c1", c.Start())
		require.NoError(t, c.staged("c2", true, true))
		require.NoError(t, c.staged("c3", false, true))
		require.Equal(t, Cursor{Phase: Applying, Committed: "c0", Pages: 3, Final: "c3"}, c)
		require.Equal(t, "c0", c.Start(), "while applying, a new request would start at the committed cursor")
		require.NoError(t, c.applied())
		require.Equal(t, Cursor{Phase: Idle, Committed: "c3"}, c)
	})
	t.Run("an abandoned loop starts again at the committed cursor", func(t *testing.T) {
		c := Cursor{Committed: "c0"}
		require.NoError(t, c.staged("c1", true, false))
		c.abandoned()
		require.Equal(t, Cursor{Phase: Idle, Committed: "c0"}, c)
	})
	t.Run("a first sync over an empty index is no reconcile", func(t *testing.T) {
		var c Cursor
		require.NoError(t, c.staged("c1", false, false))
		require.False(t, c.Reconcile)
		require.NoError(t, c.applied())
		require.Equal(t, Cursor{Committed: "c1"}, c)
	})
	t.Run("a rejected cursor makes the next loop a reconcile", func(t *testing.T) {
		c := Cursor{Committed: "stale", Phase: Fetching, Next: "x", Pages: 2}
		c.rejected()
		require.Equal(t, Cursor{}, c)
		require.Equal(t, "", c.Start())
		require.NoError(t, c.staged("n1", true, true))
		require.True(t, c.Reconcile)
		require.NoError(t, c.staged("n2", false, true))
		require.NoError(t, c.applied())
		require.Equal(t, Reconciling, c.Phase)
		require.NoError(t, c.reconciled())
		require.Equal(t, Cursor{Committed: "n2"}, c)
	})
	t.Run("transitions out of order are refused", func(t *testing.T) {
		c := Cursor{Phase: Applying, Final: "f"}
		require.Error(t, c.staged("x", false, false))
		require.Error(t, c.reconciled())
		idle := Cursor{Committed: "c"}
		require.Error(t, idle.applied())
		require.Error(t, idle.reconciled())
		before := c
		c.abandoned()
		require.Equal(t, before, c, "a fully staged loop is applied, not abandoned")
	})
}

func TestLegacyCursorFieldsAreConverted(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want Cursor
	}{
		{`{"cursor":"c5","status":{}}`, Cursor{Committed: "c5"}},
		{`{"cursor":"c5","loop_cursor":"c6","loop_pages":2,"status":{}}`, Cursor{Phase: Fetching, Committed: "c5", Next: "c6", Pages: 2}},
		{`{"cursor":"c5","applying":true,"pending_cursor":"c9","loop_pages":3,"status":{}}`, Cursor{Phase: Applying, Committed: "c5", Final: "c9", Pages: 3}},
	} {
		_, c, err := decodeMeta("item", []byte(tc.raw))
		require.NoError(t, err)
		require.Equal(t, tc.want, c, tc.raw)
	}
}
