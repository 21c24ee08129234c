package ledger

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func invested(id, date, kind string, amount float64) ListedInvestment {
	d, _ := time.Parse(time.DateOnly, date)
	return ListedInvestment{Date: date, Point: Point{Live: true, Time: d.UnixNano() + int64(len(id)), Amount: amount, TransactionID: id,
		AccountID: "ira", Account: "Roth IRA", Currency: "USD", Name: kind + " " + id,
		Investment: &Investment{Type: kind, Subtype: kind, SecurityID: "vti", Quantity: 1, Price: amount}}}
}

func applyInvestments(t *testing.T, l *Ledger, out *collector, from string, listed ...ListedInvestment) Counts {
	t.Helper()
	c, err := l.ApplyInvestments(item, listed, from, out.emit)
	require.NoError(t, err)
	return c
}

// Investment points go through the outbox and the replay like transaction
// points; a poll that lists nothing new writes nothing, a removal within
// the re-read range is a tombstone, and one before it is left alone.
func TestInvestmentTransactionsThroughTheOutbox(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	var out collector
	buy, fee, old := invested("buy", "2024-03-15", "buy", 570.24), invested("fee", "2024-03-28", "fee", 2.5), invested("old", "2023-01-02", "cash", -3)
	fee.Point.Investment.HasFees = false
	buy.Point.Investment.Fees, buy.Point.Investment.HasFees = 4.95, true
	c := applyInvestments(t, l, &out, "2022-04-01", buy, fee, old)
	require.Equal(t, 3, c.Added)
	require.Len(t, out.groups, 1)
	g, ok, err := l.Undelivered(item, 0)
	require.NoError(t, err)
	require.True(t, ok, "listed in the outbox until delivered")
	require.Equal(t, out.groups[0].Seq, g.Seq)
	require.ElementsMatch(t, out.groups[0].Points, g.Points)

	require.Zero(t, applyInvestments(t, l, &out, "2024-03-01", buy, fee), "nothing changed")
	require.Len(t, out.groups, 1, "nothing written again")

	// The fee is withdrawn, the buy restated; the old dividend is outside
	// the range read.
	restated := buy
	restated.Point.Amount = 560
	c = applyInvestments(t, l, &out, "2024-03-01", restated)
	require.Equal(t, Counts{Modified: 1, Removed: 1}, c)
	n, sum := out.live()
	require.Equal(t, 2, n)
	require.InDelta(t, 557.0, sum, 1e-9)

	// A new type is a new identity: the old one gets a tombstone.
	moved := restated
	moved.Point.Investment = &Investment{Type: "transfer", Subtype: "transfer"}
	applyInvestments(t, l, &out, "2024-03-01", moved)
	n, sum = out.live()
	require.Equal(t, 2, n)
	require.InDelta(t, 557.0, sum, 1e-9)

	// The replay writes them all again, tombstones too, with the fields kept.
	var replayed []Point
	_, err = l.Replay(item, 0, func(ps []Point) error { replayed = append(replayed, ps...); return nil })
	require.NoError(t, err)
	require.Len(t, replayed, 4, "old, buy's tombstone, the transfer, fee's tombstone")
	for _, p := range replayed {
		require.Equal(t, InvestmentMeasurement, p.Measurement())
		if p.TransactionID == "fee" {
			require.False(t, p.Live)
			require.False(t, p.Investment.HasFees)
		}
	}

	// Relinking retracts them with the transactions.
	retracted, err := l.RetractItem(item, out.emit)
	require.NoError(t, err)
	require.Equal(t, 2, retracted)
	n, _ = out.live()
	require.Zero(t, n)
	require.NoError(t, l.Close())
}

// Investment points handed out after the snapshot come back from the
// journal, and since no resync writes them again, they are listed for
// delivery again; the transaction index knows nothing of them.
func TestInvestmentTransactionsRecoverFromTheJournal(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l, _ := openAt(t, dir, c)
	var out collector
	stage(t, l, "c1", false, added(txn("a", 1, "2024-01-01"))...)
	applyAll(t, l, &out)
	applyInvestments(t, l, &out, "2022-04-01", invested("buy", "2024-03-15", "buy", 570.24))
	for _, g := range out.groups {
		l.Delivered(item, g.Seq)
	}
	require.NoError(t, l.SettleDelivered())
	require.NoError(t, l.Checkpoint())
	c.now = c.now.Add(10 * time.Minute)
	applyInvestments(t, l, &out, "2024-03-01", invested("buy", "2024-03-15", "buy", 570.24), invested("div", "2024-03-20", "cash", -7))
	for _, g := range out.groups {
		l.Delivered(item, g.Seq)
	}
	require.NoError(t, l.SettleDelivered())
	require.NoError(t, l.Close())

	require.NoError(t, os.Remove(filepath.Join(dir, storeFile)))
	l, rec := openAt(t, dir, c)
	defer l.Close()
	require.True(t, rec.Restored)
	require.Equal(t, 1, rec.Journaled)
	g, ok, err := l.Undelivered(item, 0)
	require.NoError(t, err)
	require.True(t, ok)
	require.Len(t, g.Points, 1)
	require.Equal(t, "div", g.Points[0].TransactionID)

	// The resync mentions transaction a only; the investments stay live.
	var again collector
	stage(t, l, "c2", false, added(txn("a", 1, "2024-01-01"))...)
	counts, err := l.Apply(item, shape, again.emit)
	require.NoError(t, err)
	require.Zero(t, counts.Reconciled)
	require.Zero(t, applyInvestments(t, l, &again, "2022-04-01", invested("buy", "2024-03-15", "buy", 570.24), invested("div", "2024-03-20", "cash", -7)),
		"the restored ledger holds both as written")
}
