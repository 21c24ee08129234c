package ledger

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"time"
)

// maxIdentityProbes bounds the search for a free timestamp when two live
// transactions of one series and day hash to the same sub-second offset.
const maxIdentityProbes = 1024

// Measurement is the measurement of transaction points, part of their
// identity.
const Measurement = "plaid_transaction"

// Key identifies a point: the civil day of the transaction's date (big
// endian, so a replay can seek to the first day of its window) followed by
// a hash of everything InfluxDB uses as identity.
type Key [12]byte

func dayPrefix(day uint32) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], day)
	return b[:]
}

func identityKey(item string, day uint32, p *Point) Key {
	h := fnv.New64a()
	// A transaction's key hashes its six identity strings, as it always has.
	tags, n := [...]string{Measurement, item, p.AccountID, p.Account, p.Category, p.Currency, ""}, 6
	if inv := p.Investment; inv != nil {
		tags, n = [...]string{InvestmentMeasurement, item, p.AccountID, p.Account, inv.Type, inv.Subtype, p.Currency}, 7
	}
	for _, s := range tags[:n] {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(p.Time))
	h.Write(ts[:])
	var k Key
	binary.BigEndian.PutUint32(k[:4], day)
	binary.BigEndian.PutUint64(k[4:], h.Sum64())
	return k
}

// Day numbers the civil day of Plaid's YYYY-MM-DD date, independent of any
// time zone.
func Day(date string) (uint32, error) {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return 0, fmt.Errorf("date %q is not YYYY-MM-DD", date)
	}
	return DayOf(t.Year(), t.Month(), t.Day()), nil
}

// DayOf numbers a civil day.
func DayOf(y int, m time.Month, d int) uint32 {
	return uint32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Shape turns a transaction into the point that represents it (tags,
// fields and its deterministic timestamp), given the item's accounts. An
// error means the transaction cannot be written: it is skipped and reported.
type Shape func(t *Txn, accounts map[string]Account) (Point, error)

// Skipped is a transaction Plaid sent that could not be applied.
type Skipped struct {
	TransactionID string
	Reason        string
}

// Counts is what applying changed for an item.
type Counts struct {
	Added    int // transactions new to the index
	Pending  int // of which pending
	Modified int
	Removed  int // retracted: removed by Plaid, or absent from a resync
	// Reconciled counts the retractions of a resync: indexed transactions
	// Plaid no longer has. Resynced says a resync finished.
	Reconciled int
	Resynced   bool
	Skipped    []Skipped
}

func (c *Counts) Add(o Counts) {
	c.Added += o.Added
	c.Pending += o.Pending
	c.Modified += o.Modified
	c.Removed += o.Removed
	c.Reconciled += o.Reconciled
	c.Resynced = c.Resynced || o.Resynced
	c.Skipped = append(c.Skipped, o.Skipped...)
}

// indexer folds changes into one item's index within one transaction and
// collects the points it changes, in order.
type indexer struct {
	it       *itemTx
	shape    Shape
	accounts map[string]Account
	seen     bool // record mentioned ids: the loop is a reconcile
	queue    *queue
}

// apply folds one page of changes into the index and queues, in order, the
// points that bring InfluxDB to the same state: a changed identity gets a
// tombstone for its old point before its new point is written.
func (ix *indexer) apply(changes []Change) (Counts, error) {
	var counts Counts
	it := ix.it
	var seen = it.bucket.Bucket(bucketSeen)
	if ix.seen && seen == nil {
		var err error
		if seen, err = it.bucket.CreateBucket(bucketSeen); err != nil {
			return counts, err
		}
	}
	for i := range changes {
		c := &changes[i]
		id := c.Txn.TransactionID
		if c.Kind == Removed {
			key, ok := it.keyOf(id)
			if !ok {
				continue // never seen, or already removed: nothing to retract
			}
			if err := ix.retract(key); err != nil {
				return counts, err
			}
			if err := it.txs.Delete([]byte(id)); err != nil {
				return counts, err
			}
			counts.Removed++
			continue
		}
		if ix.seen {
			if err := seen.Put([]byte(id), []byte{1}); err != nil {
				return counts, err
			}
		}
		day, err := Day(c.Txn.Date)
		var p Point
		if err == nil {
			p, err = ix.shape(&c.Txn, ix.accounts)
		}
		if err != nil {
			counts.Skipped = append(counts.Skipped, Skipped{TransactionID: id, Reason: err.Error()})
			continue
		}
		oldKey, existed := it.keyOf(id)
		key, err := ix.claimIdentity(day, &p)
		if err != nil {
			return counts, err
		}
		if existed && oldKey != key {
			if err := ix.retract(oldKey); err != nil {
				return counts, err
			}
		}
		if err := it.putPoint(key, &p); err != nil {
			return counts, err
		}
		ix.queue.add(key, &p)
		if err := it.txs.Put([]byte(id), key[:]); err != nil {
			return counts, err
		}
		if existed {
			counts.Modified++
		} else {
			counts.Added++
			if p.Pending {
				counts.Pending++
			}
		}
	}
	return counts, nil
}

// claimIdentity finds the identity for p: its own deterministic timestamp
// unless another live transaction holds it, then the next free nanosecond.
func (ix *indexer) claimIdentity(day uint32, p *Point) (Key, error) {
	for probe := 0; probe < maxIdentityProbes; probe++ {
		key := identityKey(ix.it.name, day, p)
		held, found, err := ix.it.getPoint(key)
		if err != nil {
			return key, err
		}
		if !found || !held.Live || held.TransactionID == p.TransactionID {
			return key, nil
		}
		p.Time++
	}
	return Key{}, fmt.Errorf("transaction %s: no free point identity within %d ns of its day", p.TransactionID, maxIdentityProbes)
}

// retract turns a live point into a tombstone and queues it.
func (ix *indexer) retract(key Key) error {
	p, found, err := ix.it.getPoint(key)
	if err != nil || !found || !p.Live {
		return err
	}
	p.Live = false
	if err := ix.it.putPoint(key, &p); err != nil {
		return err
	}
	ix.queue.add(key, &p)
	return nil
}
