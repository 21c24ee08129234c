package plaid

import (
	"encoding/binary"
	"sync"

	"github.com/influxdata/telegraf"
)

// Every point the index changes is listed, by identity, in the item's outbox
// in the same commit: one outbox entry per group of up to emitBatch points.
// An entry is deleted once Telegraf reports its group delivered (under execd:
// written to stdout). Entries a killed process left behind are written again
// by the next one, with the points' current state.

const (
	// emitBatch is how many points go to Telegraf as one tracked group.
	emitBatch = 500
	// maxTrackedGroups sizes the delivery channel; it is drained after every
	// group, so it only has to absorb the groups in flight.
	maxTrackedGroups = 8192
)

type outboxEntry struct {
	item string
	seq  uint64
}

type deliveryTracker struct {
	mu       sync.Mutex
	source   telegraf.Accumulator
	acc      telegraf.TrackingAccumulator
	inflight map[telegraf.TrackingID]outboxEntry
	// emitted is, per item, the last outbox entry handed to Telegraf by this
	// process; entries up to it are in flight or delivered.
	emitted   map[string]uint64
	delivered []outboxEntry
	// early holds deliveries reported before sent registered their group,
	// which happens when Telegraf writes a group out at once.
	early map[telegraf.TrackingID]bool
}

func newDeliveryTracker() *deliveryTracker {
	return &deliveryTracker{
		inflight: make(map[telegraf.TrackingID]outboxEntry),
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
			e, ok := t.inflight[info.ID()]
			if !ok {
				t.early[info.ID()] = info.Delivered()
				continue
			}
			delete(t.inflight, info.ID())
			if info.Delivered() {
				t.delivered = append(t.delivered, e)
			}
		default:
			return
		}
	}
}

// takeDelivered returns the delivered entries of one item, or of all items
// when item is empty, and forgets them.
func (t *deliveryTracker) takeDelivered(item string) []outboxEntry {
	t.collect()
	t.mu.Lock()
	defer t.mu.Unlock()
	var taken, kept []outboxEntry
	for _, e := range t.delivered {
		if item == "" || e.item == item {
			taken = append(taken, e)
		} else {
			kept = append(kept, e)
		}
	}
	t.delivered = kept
	return taken
}

// putBack returns entries whose deletion did not commit.
func (t *deliveryTracker) putBack(entries []outboxEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.delivered = append(t.delivered, entries...)
}

func (t *deliveryTracker) sent(id telegraf.TrackingID, e outboxEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.emitted[e.item] = e.seq
	if delivered, ok := t.early[id]; ok {
		delete(t.early, id)
		if delivered {
			t.delivered = append(t.delivered, e)
		}
		return
	}
	t.inflight[id] = e
}

func (t *deliveryTracker) emittedThrough(item string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.emitted[item]
}

// settleDeliveries deletes the outbox entries of delivered groups.
func (p *Plaid) settleDeliveries() {
	byItem := make(map[string][]outboxEntry)
	for _, e := range p.tracker.takeDelivered("") {
		byItem[e.item] = append(byItem[e.item], e)
	}
	for item, entries := range byItem {
		err := p.store.update(item, func(it *itemTx) error { return it.dropDelivered(entries) })
		if err != nil {
			p.tracker.putBack(entries)
			p.Log.Errorf("[%s] recording delivered points: %v", item, err)
		}
	}
}

// dropDelivered deletes delivered entries from the item's outbox.
func (it *itemTx) dropDelivered(entries []outboxEntry) error {
	for _, e := range entries {
		if err := it.outbox.Delete(seqKey(e.seq)); err != nil {
			return err
		}
	}
	return nil
}

// emitQueued writes points just committed, from memory. Should earlier
// outbox entries still be waiting, it reads the outbox instead so that
// entries go out in order.
func (p *Plaid) emitQueued(acc telegraf.TrackingAccumulator, item string, q *queuedPoints) error {
	if len(q.seqs) == 0 {
		return nil
	}
	if p.tracker.emittedThrough(item)+1 != q.seqs[0] {
		return p.emitOutbox(acc, item)
	}
	for i, seq := range q.seqs {
		group := q.points[i*emitBatch : min((i+1)*emitBatch, len(q.points))]
		metrics := make([]telegraf.Metric, len(group))
		for j := range group {
			metrics[j] = transactionMetric(item, &group[j])
		}
		id := acc.AddTrackingMetricGroup(metrics)
		p.tracker.sent(id, outboxEntry{item: item, seq: seq})
		p.tracker.collect()
	}
	return nil
}

// emitOutbox writes, in order, the outbox entries of the item this process
// has not handed to Telegraf yet, with each point's current state.
func (p *Plaid) emitOutbox(acc telegraf.TrackingAccumulator, item string) error {
	for {
		after := p.tracker.emittedThrough(item)
		var (
			metrics []telegraf.Metric
			seq     uint64
		)
		err := p.store.view(item, func(it *itemTx) error {
			if it.outbox == nil {
				return nil
			}
			k, v := it.outbox.Cursor().Seek(seqKey(after + 1))
			if k == nil {
				return nil
			}
			seq = binary.BigEndian.Uint64(k)
			keys, err := decodeOutboxEntry(v)
			if err != nil {
				return err
			}
			metrics = make([]telegraf.Metric, 0, len(keys))
			for _, key := range keys {
				pt, found, err := it.getPoint(key)
				if err != nil {
					return err
				}
				if found {
					metrics = append(metrics, transactionMetric(item, &pt))
				}
			}
			return nil
		})
		if err != nil || seq == 0 {
			return err
		}
		id := acc.AddTrackingMetricGroup(metrics)
		p.tracker.sent(id, outboxEntry{item: item, seq: seq})
		p.tracker.collect()
	}
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
