package ledger

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

const item = "Test Chase"

func openTest(t *testing.T, dir string) *Ledger {
	t.Helper()
	l, rec, err := Open(dir, Options{SnapshotInterval: -1})
	require.NoError(t, err)
	require.False(t, rec.Happened(), "%+v", rec)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// shape makes points the way the plugin does, in UTC.
func shape(tx *Txn, accounts map[string]Account) (Point, error) {
	d, err := time.Parse(time.DateOnly, tx.Date)
	if err != nil {
		return Point{}, err
	}
	if tx.Name == "bad" {
		return Point{}, errors.New("name is bad")
	}
	account := tx.AccountID
	if a, ok := accounts[tx.AccountID]; ok {
		account = a.Name
	}
	h := fnv.New64a()
	h.Write([]byte(tx.TransactionID))
	return Point{Live: true, Pending: tx.Pending, Time: d.UnixNano() + int64(h.Sum64()%1e9), Amount: tx.Amount, TransactionID: tx.TransactionID,
		AccountID: tx.AccountID, Account: account, Category: "C", Currency: "USD", Name: tx.Name}, nil
}

func txn(id string, amount float64, date string) Txn {
	return Txn{TransactionID: id, AccountID: "acc", Amount: amount, Date: date, Name: "n-" + id}
}

func added(txs ...Txn) []Change {
	out := make([]Change, len(txs))
	for i := range txs {
		out[i] = Change{Kind: Added, Txn: txs[i]}
	}
	return out
}

// collector gathers what Apply emits, as InfluxDB would fold it: the last
// write of an identity wins.
type collector struct {
	groups []Group
	points map[string]Point // by transaction id and time
}

func (c *collector) emit(g Group) error {
	c.groups = append(c.groups, g)
	if c.points == nil {
		c.points = make(map[string]Point)
	}
	for _, p := range g.Points {
		c.points[fmt.Sprintf("%s@%d", p.TransactionID, p.Time)] = p
	}
	return nil
}

func (c *collector) live() (n int, sum float64) {
	for _, p := range c.points {
		if p.Live {
			n++
			sum += p.Amount
		}
	}
	return n, sum
}

func stage(t *testing.T, l *Ledger, next string, more bool, changes ...Change) Cursor {
	t.Helper()
	c, err := l.StagePage(item, &Page{Changes: changes, NextCursor: next, HasMore: more, UpdateStatus: "HISTORICAL_UPDATE_COMPLETE"})
	require.NoError(t, err)
	return c
}

func commits(t *testing.T, l *Ledger) int {
	t.Helper()
	var id int
	require.NoError(t, l.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }))
	return id
}

func TestStageApplyAndDeliver(t *testing.T) {
	l := openTest(t, t.TempDir())
	stage(t, l, "c1", true, added(txn("a", 10, "2024-01-01"), txn("b", 20, "2024-01-02"))...)
	c := stage(t, l, "c2", false, added(txn("c", 5, "2024-01-03"))...)
	require.Equal(t, Applying, c.Phase)

	var out collector
	counts, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	require.Equal(t, 3, counts.Added)
	n, sum := out.live()
	require.Equal(t, 3, n)
	require.InDelta(t, 35.0, sum, 1e-9)
	_, cur, err := l.Item(item)
	require.NoError(t, err)
	require.Equal(t, Cursor{Committed: "c2"}, cur)

	// Not yet delivered: a new process would write the group again.
	g, ok, err := l.Undelivered(item, 0)
	require.NoError(t, err)
	require.True(t, ok)
	require.Len(t, g.Points, 3)
	l.Delivered(item, g.Seq)
	require.NoError(t, l.SettleDelivered())
	_, ok, err = l.Undelivered(item, 0)
	require.NoError(t, err)
	require.False(t, ok, "a delivered group is forgotten")
}

func TestModifiedAndRemovedTransactionsLeaveTombstones(t *testing.T) {
	l := openTest(t, t.TempDir())
	var out collector
	stage(t, l, "c1", false, added(txn("a", 10, "2024-01-01"), txn("b", 20, "2024-01-02"))...)
	_, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)

	moved := txn("a", 11, "2024-01-05") // a new date: a new identity
	stage(t, l, "c2", false, Change{Kind: Modified, Txn: moved}, Change{Kind: Removed, Txn: Txn{TransactionID: "b"}})
	counts, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	require.Equal(t, 1, counts.Modified)
	require.Equal(t, 1, counts.Removed)
	n, sum := out.live()
	require.Equal(t, 1, n)
	require.InDelta(t, 11.0, sum, 1e-9)
	require.Len(t, out.points, 3, "the old identity of a and b's identity are tombstones")
}

func TestAPageThatChangesNothingCommitsNothing(t *testing.T) {
	l := openTest(t, t.TempDir())
	var out collector
	stage(t, l, "c1", false, added(txn("a", 10, "2024-01-01"))...)
	_, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)

	before := commits(t, l)
	c := stage(t, l, "c1", false)
	require.Equal(t, Cursor{Committed: "c1"}, c)
	counts, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	require.Equal(t, Counts{}, counts)
	require.Equal(t, before, commits(t, l), "an empty page with the same cursor wrote to the file")

	stage(t, l, "c2", false) // a new cursor is worth a commit
	require.Greater(t, commits(t, l), before)
}

func TestAKilledApplyIsResumedAndItsPointsWrittenAgain(t *testing.T) {
	dir := t.TempDir()
	l, _, err := Open(dir, Options{SnapshotInterval: -1})
	require.NoError(t, err)
	var txs []Txn
	for i := range 3 * commitBatch {
		txs = append(txs, txn(fmt.Sprintf("t%05d", i), 1, "2024-02-01"))
	}
	stage(t, l, "c1", true, added(txs[:commitBatch*2]...)...)
	stage(t, l, "c2", false, added(txs[commitBatch*2:]...)...)
	// The process dies after the first commit's points went out but before
	// they were reported delivered.
	errKilled := errors.New("killed")
	var first collector
	_, err = l.Apply(item, shape, func(g Group) error { _ = first.emit(g); return errKilled })
	require.ErrorIs(t, err, errKilled)
	require.NoError(t, l.Close())

	l = openTest(t, dir)
	var out collector
	for after := uint64(0); ; {
		g, ok, err := l.Undelivered(item, after)
		require.NoError(t, err)
		if !ok {
			break
		}
		_ = out.emit(g)
		after = g.Seq
	}
	counts, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	require.Equal(t, commitBatch, counts.Added, "the last page was applied by the second process")
	n, sum := out.live()
	require.Equal(t, len(txs), n)
	require.InDelta(t, float64(len(txs)), sum, 1e-9)
}

func TestAResyncRetractsWhatPlaidNoLongerHas(t *testing.T) {
	l := openTest(t, t.TempDir())
	var out collector
	var txs []Txn
	for i := range commitBatch + 500 {
		txs = append(txs, txn(fmt.Sprintf("t%05d", i), 2, "2024-03-01"))
	}
	stage(t, l, "c1", false, added(txs...)...)
	_, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)

	// Plaid resets the item: the saved cursor is refused; the resync has
	// 10 of the transactions, one of them changed, and a new one.
	require.NoError(t, l.RejectCursor(item))
	keep := append([]Txn(nil), txs[:10]...)
	keep[3].Amount = 7
	resync := append(added(keep...), added(txn("new", 100, "2024-03-02"))...)
	c := stage(t, l, "r1", true, resync[:5]...)
	require.True(t, c.Reconcile)
	stage(t, l, "r2", false, resync[5:]...)
	counts, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	require.True(t, counts.Resynced)
	require.Equal(t, len(txs)-10, counts.Reconciled)
	require.Equal(t, 1, counts.Added)
	n, sum := out.live()
	require.Equal(t, 11, n)
	require.InDelta(t, 9*2+7+100, sum, 1e-9)
	_, cur, err := l.Item(item)
	require.NoError(t, err)
	require.Equal(t, Cursor{Committed: "r2"}, cur)
	require.NoError(t, l.db.View(func(tx *bolt.Tx) error {
		require.Nil(t, tx.Bucket(bucketItems).Bucket([]byte(item)).Bucket(bucketSeen), "the resync's bookkeeping is dropped")
		return nil
	}))
}

func TestAMalformedTransactionIsSkippedAndAppliedWhenItComesRight(t *testing.T) {
	l := openTest(t, t.TempDir())
	var out collector
	bad := txn("x", 9, "")
	worse := txn("y", 9, "2024-01-01")
	worse.Name = "bad"
	stage(t, l, "c1", false, added(txn("a", 1, "2024-01-01"), bad, worse, txn("b", 2, "2024-01-02"))...)
	counts, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	require.Equal(t, 2, counts.Added)
	require.Len(t, counts.Skipped, 2)
	require.Equal(t, "x", counts.Skipped[0].TransactionID)
	require.Contains(t, counts.Skipped[0].Reason, `date ""`)
	require.Equal(t, "y", counts.Skipped[1].TransactionID)

	fixed := txn("x", 9, "2024-01-03")
	stage(t, l, "c2", false, Change{Kind: Modified, Txn: fixed})
	counts, err = l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	require.Equal(t, 1, counts.Added, "a transaction the index never held counts as added")
	n, sum := out.live()
	require.Equal(t, 3, n)
	require.InDelta(t, 12.0, sum, 1e-9)
}

func TestRetractItem(t *testing.T) {
	l := openTest(t, t.TempDir())
	var out collector
	stage(t, l, "c1", false, added(txn("a", 1, "2024-01-01"), txn("b", 2, "2024-01-02"))...)
	_, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	n, err := l.RetractItem(item, out.emit)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	live, _ := out.live()
	require.Zero(t, live)
	_, cur, err := l.Item(item)
	require.NoError(t, err)
	require.Equal(t, Cursor{}, cur)
	// The tombstones stay, so a replay writes them again.
	got, err := l.Replay(item, 0, func([]Point) error { return nil })
	require.NoError(t, err)
	require.Equal(t, 2, got)
}

func TestReplayReadsFromTheFirstDayOfItsWindow(t *testing.T) {
	l := openTest(t, t.TempDir())
	var out collector
	stage(t, l, "c1", false, added(txn("old", 1, "2024-01-01"), txn("new", 2, "2024-02-01"), txn("newer", 3, "2024-02-02"))...)
	_, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	from, err := Day("2024-02-01")
	require.NoError(t, err)
	var ids []string
	n, err := l.Replay(item, from, func(ps []Point) error {
		for _, p := range ps {
			ids = append(ids, p.TransactionID)
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.ElementsMatch(t, []string{"new", "newer"}, ids)
}

func TestSecondOpenIsRefusedWhileInUse(t *testing.T) {
	dir := t.TempDir()
	openTest(t, dir)
	_, _, err := Open(dir, Options{LockTimeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, ErrInUse)
}

// No package but the ledger may touch the bbolt file.
func TestOnlyTheLedgerImportsBbolt(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "github.com/plaid-sync/telegraf-plaid/...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	var importers []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, "go.etcd.io/bbolt") {
				importers = append(importers, fields[0])
				break
			}
		}
	}
	require.Equal(t, []string{"github.com/plaid-sync/telegraf-plaid/internal/ledger"}, importers)
}

// The item state is kept in memory between reads: what a caller changes in
// the value it got stays its own, and what a commit writes is what the next
// read returns, in this process and after a reopen.
func TestItemStateReadBackIsTheCommittedOne(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	require.NoError(t, l.UpdateItem(item, func(s *ItemState) {
		s.Accounts = map[string]Account{"acc1": {Name: "Checking"}}
	}))
	st, _, err := l.Item(item)
	require.NoError(t, err)
	st.Accounts["acc1"] = Account{Name: "changed by the caller"}
	st.Accounts["acc2"] = Account{Name: "added by the caller"}

	require.NoError(t, l.UpdateItem(item, func(s *ItemState) {
		s.BalancesAt = 42
		s.Accounts["acc3"] = Account{Name: "Savings"}
	}))
	want := map[string]Account{"acc1": {Name: "Checking"}, "acc3": {Name: "Savings"}}
	st, _, err = l.Item(item)
	require.NoError(t, err)
	require.Equal(t, want, st.Accounts)
	require.EqualValues(t, 42, st.BalancesAt)

	c := stage(t, l, "c1", false, added(txn("t1", 5, "2026-01-02"))...)
	require.Equal(t, Applying, c.Phase)
	_, got, err := l.Item(item)
	require.NoError(t, err)
	require.Equal(t, c, got)

	require.NoError(t, l.Close())
	l = openTest(t, dir)
	st, got, err = l.Item(item)
	require.NoError(t, err)
	require.Equal(t, want, st.Accounts)
	require.Equal(t, c, got)
}

// Once the ledger knows an item's outbox holds nothing more, asking again
// opens no read transaction (a steady gather asks for every item); a
// commit that adds a group makes it ask the file again.
func TestUndeliveredReadsTheFileOnlyAfterACommit(t *testing.T) {
	l := openTest(t, t.TempDir())
	stage(t, l, "c1", false, added(txn("a", 10, "2024-01-01"))...)
	var out collector
	_, err := l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	g, ok, err := l.Undelivered(item, 0)
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = l.Undelivered(item, g.Seq)
	require.NoError(t, err)
	require.False(t, ok)

	reads := l.db.Stats().TxN
	for range 3 {
		_, ok, err = l.Undelivered(item, g.Seq)
		require.NoError(t, err)
		require.False(t, ok)
	}
	require.Equal(t, reads, l.db.Stats().TxN, "no read transaction while nothing was committed")

	stage(t, l, "c2", false, added(txn("b", 20, "2024-01-02"))...)
	_, err = l.Apply(item, shape, out.emit)
	require.NoError(t, err)
	next, ok, err := l.Undelivered(item, g.Seq)
	require.NoError(t, err)
	require.True(t, ok, "the group of the new commit")
	require.Greater(t, next.Seq, g.Seq)
	require.Len(t, next.Points, 1)
}

// The settle at the end of a backfill of many items deletes every
// delivered outbox entry, in commits of a bounded number of items.
func TestSettlingManyItemsDeletesEveryDeliveredEntry(t *testing.T) {
	l := openTest(t, t.TempDir())
	const items = 2*settleBatchItems + 7
	var out collector
	for i := range items {
		name := fmt.Sprintf("Bank %03d", i)
		_, err := l.StagePage(name, &Page{Changes: added(txn(fmt.Sprint("t", i), 1, "2024-01-01")), NextCursor: "c1", UpdateStatus: "HISTORICAL_UPDATE_COMPLETE"})
		require.NoError(t, err)
		_, err = l.Apply(name, shape, out.emit)
		require.NoError(t, err)
		g, ok, err := l.Undelivered(name, 0)
		require.NoError(t, err)
		require.True(t, ok)
		l.Delivered(name, g.Seq)
	}
	before := commits(t, l)
	require.NoError(t, l.SettleDelivered())
	require.Equal(t, 3, commits(t, l)-before, "commits of the settle")
	for i := range items {
		_, ok, err := l.Undelivered(fmt.Sprintf("Bank %03d", i), 0)
		require.NoError(t, err)
		require.False(t, ok)
	}
}
