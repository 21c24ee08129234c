package ledger

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// allPoints reads every point of the item, by day, checking the days come
// in order and match the points' dates.
func allPoints(t *testing.T, l interface {
	PointsByDay(string, func(uint32, []Point) error) error
}) map[string]Point {
	t.Helper()
	out := map[string]Point{}
	last := uint32(0)
	require.NoError(t, l.PointsByDay(item, func(day uint32, pts []Point) error {
		require.Greater(t, day, last, "days in order, each once")
		last = day
		for _, p := range pts {
			d := time.Unix(0, p.Time).UTC()
			require.Equal(t, DayOf(d.Year(), d.Month(), d.Day()), day)
			out[p.TransactionID+"@"+d.Format(time.RFC3339Nano)] = p
		}
		return nil
	}))
	return out
}

// A Copy taken while the ledger is open holds what the snapshot and the
// journal since hold, tombstones included, and never blocks the owner.
func TestCopyOfAnOpenLedgerHoldsEveryPointHandedOut(t *testing.T) {
	dir := t.TempDir()
	l, _, err := Open(dir, Options{LockTimeout: 50 * time.Millisecond})
	require.NoError(t, err)
	defer l.Close()
	var out collector
	stage(t, l, "c1", false, added(txn("a", 10, "2024-01-01"), txn("b", 20, "2024-01-02"), txn("c", 5, "2024-01-02"))...)
	_, err = l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	require.NoError(t, l.Snapshot())
	// After the snapshot: only in the journal.
	b := txn("b", 25, "2024-01-03")
	stage(t, l, "c2", false, Change{Kind: Modified, Txn: b}, Change{Kind: Removed, Txn: Txn{TransactionID: "c"}}, Change{Kind: Added, Txn: txn("d", 7, "2024-02-01")}, Change{Kind: Added, Txn: txn("z", 3, "2023-12-31")})
	_, err = l.Apply(item, shape, out.emit)
	require.NoError(t, err)

	c, err := OpenCopy(dir, t.TempDir())
	require.NoError(t, err)
	require.False(t, c.Snapshot.IsZero())
	require.Positive(t, c.Journaled)
	got := allPoints(t, c)
	want := allPoints(t, l)
	require.Equal(t, want, got)
	live := 0
	for _, p := range got {
		if p.Live {
			live++
		}
	}
	require.Equal(t, 4, live, "a, b (moved), d, z (a day before the snapshot's)")
	require.Len(t, got, 6, "with the tombstones of b's old identity and of c")
	items, err := c.Items()
	require.NoError(t, err)
	require.Equal(t, []string{item}, items)
	require.NoError(t, c.Close())

	// The owner still commits while a copy is open.
	c, err = OpenCopy(dir, "")
	require.NoError(t, err)
	defer c.Close()
	stage(t, l, "c3", false, added(txn("e", 1, "2024-03-01"))...)
	_, err = l.Apply(item, shape, out.emit)
	require.NoError(t, err)
}

func TestCopyOfNoLedger(t *testing.T) {
	_, err := OpenCopy(t.TempDir(), "")
	require.ErrorContains(t, err, "holds no state store")
}
