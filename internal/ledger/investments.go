package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Investment transactions (plaid_investment_transaction) are points of the
// item like its transactions: in the same points bucket, under keys of the
// same form, so that the outbox, the journal, the replay, the snapshot and
// verification handle them exactly as plaid_transaction points. Their own
// index maps investment_transaction_id to the key of the live point, so
// that neither a resync's reconcile nor the transaction index sees them.

// InvestmentMeasurement is the measurement of investment transaction
// points, part of their identity.
const InvestmentMeasurement = "plaid_investment_transaction"

// bucketInvestments is the investment index: investment_transaction_id ->
// Key of its live point.
var bucketInvestments = []byte("investment_tx")

// flagInvestment marks, in a point record's flags, a point followed by its
// Investment fields.
const flagInvestment = 4

// Investment is what a plaid_investment_transaction point holds beyond the
// fields it shares with a transaction point (amount, account, currency,
// name). Type and Subtype are tags, part of its identity.
type Investment struct {
	Type       string
	Subtype    string
	SecurityID string
	Quantity   float64
	Price      float64
	Fees       float64
	// HasFees says Plaid gave fees; it may give null.
	HasFees bool
}

func (inv *Investment) encode(e *encoder) {
	e.string(inv.Type)
	e.string(inv.Subtype)
	e.string(inv.SecurityID)
	e.float(inv.Quantity)
	e.float(inv.Price)
	e.float(inv.Fees)
	e.bool(inv.HasFees)
}

func decodeInvestment(d *decoder) *Investment {
	return &Investment{Type: d.string(), Subtype: d.string(), SecurityID: d.string(),
		Quantity: d.float(), Price: d.float(), Fees: d.float(), HasFees: d.bool()}
}

// Measurement is the measurement the point belongs to.
func (p *Point) Measurement() string {
	if p.Investment != nil {
		return InvestmentMeasurement
	}
	return Measurement
}

// ListedInvestment is an investment transaction as Plaid listed it: its
// date (YYYY-MM-DD) and the point that represents it, whose Investment is
// set.
type ListedInvestment struct {
	Date  string
	Point Point
}

// ApplyInvestments folds what /investments/transactions/get listed, for
// the dates from fromDate on, into the item's investment points in one
// commit, and hands emit the groups of points that changed, as Apply does:
// a new or changed investment transaction gets its point (a changed
// identity first gets a tombstone for its old one), and a live one dated
// fromDate or later that Plaid no longer lists gets a tombstone. Points
// dated before fromDate are left as they are; one listed again unchanged
// is not written again.
func (l *Ledger) ApplyInvestments(item string, listed []ListedInvestment, fromDate string, emit func(Group) error) (Counts, error) {
	var counts Counts
	fromDay, err := Day(fromDate)
	if err != nil {
		return counts, err
	}
	var q queue
	err = l.update(item, func(it *itemTx) error {
		counts = Counts{}
		q = queue{}
		index, err := it.bucket.CreateBucketIfNotExists(bucketInvestments)
		if err != nil {
			return err
		}
		ix := indexer{it: it, queue: &q}
		mentioned := make(map[string]bool, len(listed))
		for i := range listed {
			p := listed[i].Point
			id := p.TransactionID
			day, err := Day(listed[i].Date)
			switch {
			case err != nil:
			case id == "":
				err = fmt.Errorf("no investment_transaction_id")
			case p.Investment == nil:
				err = fmt.Errorf("not an investment transaction")
			}
			if err != nil {
				counts.Skipped = append(counts.Skipped, Skipped{TransactionID: id, Reason: err.Error()})
				continue
			}
			mentioned[id] = true
			oldKey, existed := keyIn(index, id)
			key, err := ix.claimIdentity(day, &p)
			if err != nil {
				return err
			}
			if existed && oldKey == key {
				held, found, err := it.getPoint(key)
				if err != nil {
					return err
				}
				if found && bytes.Equal(encodePoint(&held), encodePoint(&p)) {
					continue
				}
			}
			if existed && oldKey != key {
				if err := ix.retract(oldKey); err != nil {
					return err
				}
			}
			if err := it.putPoint(key, &p); err != nil {
				return err
			}
			q.add(key, &p)
			if err := index.Put([]byte(id), key[:]); err != nil {
				return err
			}
			if existed {
				counts.Modified++
			} else {
				counts.Added++
			}
		}
		var gone [][]byte
		err = index.ForEach(func(id, v []byte) error {
			if mentioned[string(id)] || len(v) != len(Key{}) || binary.BigEndian.Uint32(v[:4]) < fromDay {
				return nil
			}
			gone = append(gone, bytes.Clone(id))
			return ix.retract(Key(v))
		})
		if err != nil {
			return err
		}
		for _, id := range gone {
			if err := index.Delete(id); err != nil {
				return err
			}
		}
		counts.Removed = len(gone)
		return q.log(it)
	})
	if err != nil {
		return counts, err
	}
	l.appliedChanges(len(q.keys))
	return counts, l.handOut(item, &q, emit)
}

func keyIn(index *bolt.Bucket, id string) (Key, bool) {
	var k Key
	raw := index.Get([]byte(id))
	if len(raw) != len(k) {
		return k, false
	}
	copy(k[:], raw)
	return k, true
}

// retractInvestments turns every live investment point of the item into a
// tombstone, as RetractItem does with its transactions.
func (ix *indexer) retractInvestments() (int, error) {
	index := ix.it.bucket.Bucket(bucketInvestments)
	if index == nil {
		return 0, nil
	}
	n := 0
	err := index.ForEach(func(_, v []byte) error {
		if len(v) != len(Key{}) {
			return nil
		}
		n++
		return ix.retract(Key(v))
	})
	if err != nil {
		return n, err
	}
	if n == 0 {
		return 0, nil
	}
	return n, ix.it.bucket.DeleteBucket(bucketInvestments)
}

// investmentRedelivery collects, while a journal is redone into a
// restored ledger, the investment points handed out since the snapshot.
// Their outbox entries were lost with the damaged file, and unlike
// transactions, which the resync that follows writes again, nothing else
// would write them: they are listed in the outbox again.
type investmentRedelivery map[string][]Key

func (r *investmentRedelivery) add(item string, k Key) {
	if *r == nil {
		*r = investmentRedelivery{}
	}
	if !slices.Contains((*r)[item], k) {
		(*r)[item] = append((*r)[item], k)
	}
}

func (r investmentRedelivery) list(items *bolt.Bucket) error {
	for item, keys := range r {
		outbox, err := items.Bucket([]byte(item)).CreateBucketIfNotExists(bucketOutbox)
		if err != nil {
			return err
		}
		q := queue{keys: keys}
		if err := q.log(&itemTx{outbox: outbox}); err != nil {
			return err
		}
	}
	return nil
}

// checkInvestmentIndex checks the item's investment index.
func checkInvestmentIndex(b *bolt.Bucket) error {
	index := b.Bucket(bucketInvestments)
	if index == nil {
		return nil
	}
	return index.ForEach(func(_, v []byte) error {
		if len(v) != len(Key{}) {
			return ErrCorrupt
		}
		return nil
	})
}
