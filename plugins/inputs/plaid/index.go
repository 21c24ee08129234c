package plaid

import (
	"fmt"
	"time"
)

// maxIdentityProbes bounds the search for a free timestamp when two live
// transactions of one series and day hash to the same sub-second offset.
const maxIdentityProbes = 1024

// applyCounts is what one sync changed for an item.
type applyCounts struct {
	Added    int // transactions new to the index
	Pending  int // of which pending
	Modified int
	Removed  int
}

func (c *applyCounts) add(o applyCounts) {
	c.Added += o.Added
	c.Pending += o.Pending
	c.Modified += o.Modified
	c.Removed += o.Removed
}

// indexer folds staged changes into one item's index.
type indexer struct {
	item     string
	location *time.Location
	accounts map[string]accountInfo
	queued   *queuedPoints // collects the points apply changes
}

// queuedPoints are the points one store transaction changed, in order.
type queuedPoints struct {
	keys   []pointKey
	points []point
	seqs   []uint64 // their outbox entries, one per group of emitBatch
}

func (ix *indexer) enqueue(key pointKey, p *point) {
	ix.queued.keys = append(ix.queued.keys, key)
	ix.queued.points = append(ix.queued.points, *p)
}

// log lists the queued points in the outbox, one entry per group of
// emitBatch, in the transaction that changed them.
func (q *queuedPoints) log(it *itemTx) error {
	for start := len(q.seqs) * emitBatch; start < len(q.keys); start += emitBatch {
		seq, err := it.putOutbox(q.keys[start:min(start+emitBatch, len(q.keys))])
		if err != nil {
			return err
		}
		q.seqs = append(q.seqs, seq)
	}
	return nil
}

// apply folds one page of changes into the index and queues, in order, the
// points that bring InfluxDB to the same state: a changed identity gets a
// tombstone for its old point before its new point is written.
func (ix *indexer) apply(it *itemTx, changes []change) (applyCounts, error) {
	var counts applyCounts
	for i := range changes {
		c := &changes[i]
		if c.Kind == changeRemoved {
			key, ok := it.pointKeyOf(c.Txn.TransactionID)
			if !ok {
				continue // never seen, or already removed: nothing to retract
			}
			if err := ix.retract(it, key); err != nil {
				return counts, err
			}
			if err := it.txs.Delete([]byte(c.Txn.TransactionID)); err != nil {
				return counts, err
			}
			counts.Removed++
			continue
		}
		oldKey, existed := it.pointKeyOf(c.Txn.TransactionID)
		p, day, err := ix.pointFor(&c.Txn)
		if err != nil {
			return counts, err
		}
		key, err := ix.claimIdentity(it, day, &p)
		if err != nil {
			return counts, err
		}
		if existed && oldKey != key {
			if err := ix.retract(it, oldKey); err != nil {
				return counts, err
			}
		}
		if err := it.putPoint(key, &p); err != nil {
			return counts, err
		}
		ix.enqueue(key, &p)
		if err := it.txs.Put([]byte(c.Txn.TransactionID), key[:]); err != nil {
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

func (ix *indexer) pointFor(t *txn) (point, uint32, error) {
	y, m, d, err := civilDate(t.Date)
	if err != nil {
		return point{}, 0, fmt.Errorf("transaction %s: %w", t.TransactionID, err)
	}
	midnight := time.Date(y, m, d, 0, 0, 0, 0, ix.location).UnixNano()
	category := t.Category.Primary
	if category == "" {
		category = uncategorized
	}
	account := t.AccountID
	if a, ok := ix.accounts[t.AccountID]; ok && a.Name != "" {
		account = a.Name
	}
	return point{
		Live:                 true,
		Pending:              t.Pending,
		Time:                 midnight + subSecondOffset(t.TransactionID),
		Amount:               t.Amount,
		TransactionID:        t.TransactionID,
		AccountID:            cleanTag(t.AccountID),
		Account:              cleanTag(account),
		Category:             cleanTag(category),
		Currency:             cleanTag(t.currency()),
		Name:                 cleanText(t.Name),
		MerchantName:         cleanText(t.MerchantName),
		CategoryDetailed:     cleanText(t.Category.Detailed),
		PaymentChannel:       cleanText(t.PaymentChannel),
		PendingTransactionID: t.PendingTransactionID,
		AuthorizedDate:       t.AuthorizedDate,
	}, daysSinceEpoch(y, m, d), nil
}

// claimIdentity finds the point identity for p: its own deterministic
// timestamp unless another live transaction already holds that identity, in
// which case the next free nanosecond.
func (ix *indexer) claimIdentity(it *itemTx, day uint32, p *point) (pointKey, error) {
	for probe := 0; probe < maxIdentityProbes; probe++ {
		key := identityKey(ix.item, day, p)
		held, found, err := it.getPoint(key)
		if err != nil {
			return key, err
		}
		if !found || !held.Live || held.TransactionID == p.TransactionID {
			return key, nil
		}
		p.Time++
	}
	return pointKey{}, fmt.Errorf("transaction %s: no free point identity within %d ns of its day", p.TransactionID, maxIdentityProbes)
}

// retract turns a live point into a tombstone and queues it.
func (ix *indexer) retract(it *itemTx, key pointKey) error {
	p, found, err := it.getPoint(key)
	if err != nil || !found || !p.Live {
		return err
	}
	p.Live = false
	if err := it.putPoint(key, &p); err != nil {
		return err
	}
	ix.enqueue(key, &p)
	return nil
}
