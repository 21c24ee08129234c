package ledger

import (
	"encoding/binary"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Every point the index changes is listed, by key, in the item's outbox in
// the same commit: one entry per group of up to GroupSize points. An entry is
// deleted once its group is reported delivered; entries a killed process
// left behind are written again by the next one, with the points' current
// state.

// GroupSize is how many points go downstream as one tracked group.
const GroupSize = 500

// Group is the points listed under one outbox entry, written and reported
// delivered together.
type Group struct {
	Item   string
	Seq    uint64
	Points []Point
	keys   []Key
}

// queue collects the points one commit changed, in order.
type queue struct {
	keys   []Key
	points []Point
	seqs   []uint64
}

func (q *queue) add(k Key, p *Point) {
	q.keys = append(q.keys, k)
	q.points = append(q.points, *p)
}

// log lists the queued points in the outbox, in the transaction that
// changed them.
func (q *queue) log(it *itemTx) error {
	for start := len(q.seqs) * GroupSize; start < len(q.keys); start += GroupSize {
		keys := q.keys[start:min(start+GroupSize, len(q.keys))]
		seq, err := it.outbox.NextSequence()
		if err != nil {
			return err
		}
		v := make([]byte, 0, len(keys)*len(Key{}))
		for _, k := range keys {
			v = append(v, k[:]...)
		}
		if err := it.outbox.Put(seqKey(seq), v); err != nil {
			return err
		}
		q.seqs = append(q.seqs, seq)
	}
	return nil
}

func (q *queue) groups(item string) []Group {
	groups := make([]Group, len(q.seqs))
	for i, seq := range q.seqs {
		from, to := i*GroupSize, min((i+1)*GroupSize, len(q.points))
		groups[i] = Group{Item: item, Seq: seq, Points: q.points[from:to], keys: q.keys[from:to]}
	}
	return groups
}

func decodeOutboxEntry(v []byte) ([]Key, error) {
	var k Key
	if len(v)%len(k) != 0 {
		return nil, ErrCorrupt
	}
	keys := make([]Key, len(v)/len(k))
	for i := range keys {
		copy(keys[i][:], v[i*len(k):])
	}
	return keys, nil
}

// Undelivered returns the item's first outbox group after sequence after,
// with each point as the index now has it; ok is false when there is none.
func (l *Ledger) Undelivered(item string, after uint64) (g Group, ok bool, err error) {
	top, known, epoch := l.outboxTop(item)
	if known && top <= after {
		return g, false, nil
	}
	top = 0
	err = l.view(item, func(it *itemTx) error {
		if it.outbox == nil {
			return nil
		}
		c := it.outbox.Cursor()
		if k, _ := c.Last(); k != nil {
			top = binary.BigEndian.Uint64(k)
		}
		k, v := c.Seek(seqKey(after + 1))
		if k == nil {
			return nil
		}
		keys, err := decodeOutboxEntry(v)
		if err != nil {
			return err
		}
		g = Group{Item: item, Seq: binary.BigEndian.Uint64(k), Points: make([]Point, 0, len(keys)), keys: make([]Key, 0, len(keys))}
		for _, key := range keys {
			p, found, err := it.getPoint(key)
			if err != nil {
				return err
			}
			if found {
				g.Points = append(g.Points, p)
				g.keys = append(g.keys, key)
			}
		}
		ok = true
		return nil
	})
	if err == nil && !ok {
		l.rememberOutboxTop(item, top, epoch)
	}
	if err == nil && ok {
		err = l.journal.record(g)
	}
	return g, ok, err
}

// Delivered records that a group reached downstream. Its outbox entry is
// deleted in the item's next commit, or by SettleDelivered.
func (l *Ledger) Delivered(item string, seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.delivered == nil {
		l.delivered = make(map[string][]uint64)
	}
	l.delivered[item] = append(l.delivered[item], seq)
}

func (l *Ledger) takeDelivered(item string) []uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	seqs := l.delivered[item]
	delete(l.delivered, item)
	return seqs
}

func (l *Ledger) putBackDelivered(item string, seqs []uint64) {
	if len(seqs) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.delivered == nil {
		l.delivered = make(map[string][]uint64)
	}
	l.delivered[item] = append(l.delivered[item], seqs...)
}

func dropDelivered(outbox *bolt.Bucket, seqs []uint64) error {
	for _, seq := range seqs {
		if err := outbox.Delete(seqKey(seq)); err != nil {
			return err
		}
	}
	return nil
}

// settleBatchItems is how many items' outboxes one commit of a settle
// cleans: at the end of a backfill every item has entries to delete, and one
// commit over all of them would hold every item's dirty pages at once.
const settleBatchItems = 256

// SettleDelivered deletes the outbox entries of every group reported
// delivered, in commits of settleBatchItems items.
func (l *Ledger) SettleDelivered() (err error) {
	l.mu.Lock()
	pending := l.delivered
	l.delivered = nil
	l.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	defer faultsPanic()()
	defer guard(&err)
	items := make([]string, 0, len(pending))
	for item := range pending {
		items = append(items, item)
	}
	slices.Sort(items)
	for len(items) > 0 {
		batch := items[:min(settleBatchItems, len(items))]
		err = l.db.Update(func(tx *bolt.Tx) error {
			for _, item := range batch {
				b := tx.Bucket(bucketItems).Bucket([]byte(item))
				if b == nil {
					continue
				}
				if outbox := b.Bucket(bucketOutbox); outbox != nil {
					if err := dropDelivered(outbox, pending[item]); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			for _, item := range items {
				l.putBackDelivered(item, pending[item])
			}
			return err
		}
		if len(batch) == settleBatchItems {
			l.releaseMemory()
		}
		items = items[len(batch):]
	}
	return nil
}
