package ledger

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clock is a settable clock for snapshot intervals.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func openAt(t *testing.T, dir string, c *clock) (*Ledger, Recovery) {
	t.Helper()
	l, rec, err := Open(dir, Options{Now: c.Now, SnapshotInterval: time.Hour})
	require.NoError(t, err)
	return l, rec
}

func applyAll(t *testing.T, l *Ledger, out *collector) {
	t.Helper()
	_, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
}

// The snapshot plus the journal rebuild the index exactly as it was: the
// resync after the loss then retracts a transaction that was added after the
// snapshot and removed while the ledger was lost.
func TestSnapshotAndJournalRebuildTheIndex(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l, _ := openAt(t, dir, c)
	var out collector
	stage(t, l, "c1", false, added(txn("a", 1, "2024-01-01"), txn("b", 2, "2024-01-02"))...)
	applyAll(t, l, &out)
	require.NoError(t, l.Checkpoint())
	require.FileExists(t, filepath.Join(dir, snapshotFile))
	require.Zero(t, l.journal.bytes(), "the snapshot makes the journal redundant")

	// After the snapshot: c added, a modified to a new identity.
	c.now = c.now.Add(10 * time.Minute)
	moved := txn("a", 5, "2024-01-09")
	stage(t, l, "c2", false, append(added(txn("c", 3, "2024-01-03")), Change{Kind: Modified, Txn: moved})...)
	applyAll(t, l, &out)
	require.NoError(t, l.Checkpoint(), "not due yet")
	require.NotZero(t, l.journal.bytes())
	require.NoError(t, l.Close())

	require.NoError(t, os.Remove(filepath.Join(dir, storeFile)))
	l, rec := openAt(t, dir, c)
	defer l.Close()
	require.Equal(t, "missing", rec.Problem)
	require.True(t, rec.Restored)
	require.Equal(t, 3, rec.Journaled, "c, a's tombstone and a's new point")
	require.Equal(t, 1, rec.Items)

	// Meanwhile at the bank c vanished; the resync has a and b.
	_, cur, err := l.Item(item)
	require.NoError(t, err)
	require.Equal(t, "", cur.Start(), "a rebuilt ledger resyncs in full")
	stage(t, l, "r1", false, added(moved, txn("b", 2, "2024-01-02"))...)
	counts, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	require.Equal(t, 1, counts.Reconciled, "c is retracted")
	n, sum := out.live()
	require.Equal(t, 2, n)
	require.InDelta(t, 7.0, sum, 1e-9)
}

// A record cut by a crash ends the replay; the records before it count.
func TestTornJournalRecordEndsTheReplay(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l, _ := openAt(t, dir, c)
	var out collector
	stage(t, l, "c1", false, added(txn("a", 1, "2024-01-01"), txn("b", 2, "2024-01-02"))...)
	applyAll(t, l, &out)
	require.NoError(t, l.journal.close())
	require.NoError(t, l.db.Close())
	l.db = nil

	journal := filepath.Join(dir, journalFile)
	size := fileSize(t, journal)
	require.NoError(t, os.Truncate(journal, size-3))
	require.NoError(t, os.Remove(filepath.Join(dir, storeFile)))
	l, rec := openAt(t, dir, c)
	defer l.Close()
	require.True(t, rec.Restored)
	require.Equal(t, 1, rec.Journaled)
}

// A damaged snapshot is moved aside and not trusted: the loss is reported.
func TestDamagedSnapshotIsNotTrusted(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l, _ := openAt(t, dir, c)
	var out collector
	stage(t, l, "c1", false, added(txn("a", 1, "2024-01-01"))...)
	applyAll(t, l, &out)
	require.NoError(t, l.Close())
	snap := filepath.Join(dir, snapshotFile)
	require.NoError(t, os.WriteFile(snap, []byte("not a ledger at all"), 0o600))
	require.NoError(t, os.Truncate(filepath.Join(dir, storeFile), 0))

	l, rec := openAt(t, dir, c)
	defer l.Close()
	require.Equal(t, "empty", rec.Problem)
	require.True(t, rec.Lost())
	aside, _ := filepath.Glob(snap + ".damaged-*")
	require.Len(t, aside, 1)
}

// A snapshot that failed leaves the old journal; the next one folds the new
// journal into it and drops both once it succeeds.
func TestOldJournalIsKeptUntilASnapshotSucceeds(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l, _ := openAt(t, dir, c)
	defer l.Close()
	var out collector
	for i := range 3 {
		stage(t, l, fmt.Sprint("c", i), false, added(txn(fmt.Sprint("t", i), 1, "2024-01-01"))...)
		applyAll(t, l, &out)
		require.NoError(t, l.journal.rotate()) // as a snapshot that then failed
	}
	require.FileExists(t, filepath.Join(dir, oldJournalFile))
	c.now = c.now.Add(2 * time.Hour)
	require.NoError(t, l.Checkpoint())
	require.NoFileExists(t, filepath.Join(dir, oldJournalFile))
}

func TestPreSnapshotLedgerGetsAFirstSnapshotAtOpen(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir) // snapshots off: as a ledger of an earlier version
	var out collector
	stage(t, l, "c1", false, added(txn("a", 1, "2024-01-01"))...)
	applyAll(t, l, &out)
	require.NoError(t, l.Close())
	require.NoFileExists(t, filepath.Join(dir, snapshotFile))
	require.NoError(t, os.Remove(filepath.Join(dir, journalFile)))
	require.NoError(t, os.Remove(filepath.Join(dir, markerFile)))

	l, _ = openAt(t, dir, &clock{now: time.Now()})
	defer l.Close()
	require.FileExists(t, filepath.Join(dir, snapshotFile))
	require.FileExists(t, filepath.Join(dir, markerFile))
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err)
	return info.Size()
}
