package plaid

import (
	"encoding/binary"
	"sync"

	"github.com/influxdata/telegraf"
)

// Points committed to the index wait in the item's outbox until Telegraf
// reports them delivered (under execd: written to stdout). Whatever a killed
// process never delivered is written again by the next one.

const (
	// emitBatch is how many points go to Telegraf as one tracked group.
	emitBatch = 500
	// maxTrackedGroups sizes the delivery channel; it is drained after every
	// group, so it only has to absorb the groups in flight.
	maxTrackedGroups = 8192
)

type outboxRange struct {
	item        string
	first, last uint64
}

type deliveryTracker struct {
	mu       sync.Mutex
	source   telegraf.Accumulator
	acc      telegraf.TrackingAccumulator
	inflight map[telegraf.TrackingID]outboxRange
	// emitted is, per item, the last outbox sequence handed to Telegraf by
	// this process; entries up to it are in flight or delivered.
	emitted   map[string]uint64
	delivered []outboxRange
	// early holds deliveries reported before sent registered their group,
	// which happens when Telegraf writes a group out at once.
	early map[telegraf.TrackingID]bool
}

func newDeliveryTracker() *deliveryTracker {
	return &deliveryTracker{
		inflight: make(map[telegraf.TrackingID]outboxRange),
		emitted:  make(map[string]uint64),
		early:    make(map[telegraf.TrackingID]bool),
	}
}

// attach returns the tracking view of acc, creating it the first time this
// accumulator is seen.
func (t *deliveryTracker) attach(acc telegraf.Accumulator) telegraf.TrackingAccumulator {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.source != acc || t.acc == nil {
		t.source = acc
		t.acc = acc.WithTracking(maxTrackedGroups)
	}
	return t.acc
}

// collect moves the deliveries reported so far to the delivered list.
func (t *deliveryTracker) collect() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.acc == nil {
		return
	}
	for {
		select {
		case info := <-t.acc.Delivered():
			r, ok := t.inflight[info.ID()]
			if !ok {
				t.early[info.ID()] = info.Delivered()
				continue
			}
			delete(t.inflight, info.ID())
			if info.Delivered() {
				t.delivered = append(t.delivered, r)
			}
		default:
			return
		}
	}
}

// takeDelivered returns the delivered ranges of one item, or of all items
// when item is empty, and forgets them.
func (t *deliveryTracker) takeDelivered(item string) []outboxRange {
	t.collect()
	t.mu.Lock()
	defer t.mu.Unlock()
	var taken, kept []outboxRange
	for _, r := range t.delivered {
		if item == "" || r.item == item {
			taken = append(taken, r)
		} else {
			kept = append(kept, r)
		}
	}
	t.delivered = kept
	return taken
}

// putBack returns ranges whose deletion did not commit.
func (t *deliveryTracker) putBack(ranges []outboxRange) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.delivered = append(t.delivered, ranges...)
}

func (t *deliveryTracker) sent(id telegraf.TrackingID, r outboxRange) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.emitted[r.item] = r.last
	if delivered, ok := t.early[id]; ok {
		delete(t.early, id)
		if delivered {
			t.delivered = append(t.delivered, r)
		}
		return
	}
	t.inflight[id] = r
}

func (t *deliveryTracker) emittedThrough(item string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.emitted[item]
}

// settleDeliveries deletes delivered points from the outboxes.
func (p *Plaid) settleDeliveries() {
	byItem := make(map[string][]outboxRange)
	for _, r := range p.tracker.takeDelivered("") {
		byItem[r.item] = append(byItem[r.item], r)
	}
	for item, ranges := range byItem {
		err := p.store.update(item, func(it *itemTx) error { return it.dropDelivered(ranges) })
		if err != nil {
			p.tracker.putBack(ranges)
			p.Log.Errorf("[%s] recording delivered points: %v", item, err)
		}
	}
}

// dropDelivered deletes delivered ranges from the item's outbox.
func (it *itemTx) dropDelivered(ranges []outboxRange) error {
	for _, r := range ranges {
		for seq := r.first; seq <= r.last; seq++ {
			if err := it.outbox.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
	}
	return nil
}

// emitOutbox hands the item's undelivered points to Telegraf in order, in
// tracked groups.
func (p *Plaid) emitOutbox(acc telegraf.TrackingAccumulator, item string) error {
	for {
		after := p.tracker.emittedThrough(item)
		var (
			metrics     []telegraf.Metric
			first, last uint64
		)
		err := p.store.view(item, func(it *itemTx) error {
			if it.outbox == nil {
				return nil
			}
			c := it.outbox.Cursor()
			for k, v := c.Seek(seqKey(after + 1)); k != nil && len(metrics) < emitBatch; k, v = c.Next() {
				pt, err := decodePoint(v)
				if err != nil {
					return err
				}
				seq := binary.BigEndian.Uint64(k)
				if first == 0 {
					first = seq
				}
				last = seq
				metrics = append(metrics, transactionMetric(item, &pt))
			}
			return nil
		})
		if err != nil || len(metrics) == 0 {
			return err
		}
		id := acc.AddTrackingMetricGroup(metrics)
		p.tracker.sent(id, outboxRange{item: item, first: first, last: last})
		p.tracker.collect()
	}
}

// emitQueued writes points just committed, from memory, in tracked groups.
// Should earlier outbox entries still be waiting, it reads the outbox instead
// so that entries go out in order.
func (p *Plaid) emitQueued(acc telegraf.TrackingAccumulator, item string, q *queuedPoints) error {
	if len(q.points) == 0 {
		return nil
	}
	if p.tracker.emittedThrough(item)+1 != q.first {
		return p.emitOutbox(acc, item)
	}
	seq := q.first
	for start := 0; start < len(q.points); start += emitBatch {
		end := min(start+emitBatch, len(q.points))
		metrics := make([]telegraf.Metric, 0, end-start)
		for i := start; i < end; i++ {
			metrics = append(metrics, transactionMetric(item, &q.points[i]))
		}
		id := acc.AddTrackingMetricGroup(metrics)
		p.tracker.sent(id, outboxRange{item: item, first: seq, last: seq + uint64(end-start) - 1})
		seq += uint64(end - start)
		p.tracker.collect()
	}
	return nil
}

// emitUndelivered writes what a previous process committed but did not
// deliver, before anything else; also for items no longer configured, whose
// last changes still belong in InfluxDB.
func (p *Plaid) emitUndelivered(acc telegraf.TrackingAccumulator) {
	names, err := p.store.itemNames()
	if err != nil {
		p.Log.Errorf("reading the state store: %v", err)
		return
	}
	for _, name := range names {
		if err := p.emitOutbox(acc, name); err != nil {
			p.Log.Errorf("[%s] writing undelivered points: %v", name, err)
		}
	}
}
