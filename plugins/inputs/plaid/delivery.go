package plaid

import (
	"sync"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
)

// The ledger lists every point it changes in an outbox, in groups. Each
// group goes to Telegraf as one tracked metric group; when Telegraf reports
// it delivered (under execd: written to stdout) the ledger forgets the
// entry. Entries a killed process left behind are written again by the next
// one.

// maxTrackedGroups sizes the delivery channel; it is drained after every
// group, so it only has to absorb the groups in flight.
const maxTrackedGroups = 8192

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

// takeDelivered returns the delivered entries and forgets them.
func (t *deliveryTracker) takeDelivered() []outboxEntry {
	t.collect()
	t.mu.Lock()
	defer t.mu.Unlock()
	taken := t.delivered
	t.delivered = nil
	return taken
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

// noteDeliveries tells the ledger which groups were delivered; their
// outbox entries go in the item's next commit.
func (p *Plaid) noteDeliveries() {
	for _, e := range p.tracker.takeDelivered() {
		p.ledger.Delivered(e.item, e.seq)
	}
}

// settleDeliveries deletes the outbox entries of delivered groups now.
func (p *Plaid) settleDeliveries() {
	p.noteDeliveries()
	if err := p.ledger.SettleDelivered(); err != nil {
		p.Log.Errorf("recording delivered points: %v", err)
	}
}

// emitter writes the groups a ledger commit produced, from memory. Should
// earlier outbox entries of the item still be waiting, it reads the outbox
// instead, so that entries go out in order.
func (p *Plaid) emitter(acc telegraf.TrackingAccumulator) func(ledger.Group) error {
	return func(g ledger.Group) error {
		if p.tracker.emittedThrough(g.Item)+1 != g.Seq {
			return p.emitOutbox(acc, g.Item)
		}
		p.emitGroup(acc, g)
		return nil
	}
}

func (p *Plaid) emitGroup(acc telegraf.TrackingAccumulator, g ledger.Group) {
	metrics := make([]telegraf.Metric, len(g.Points))
	for i := range g.Points {
		metrics[i] = pointMetric(g.Item, &g.Points[i])
	}
	id := acc.AddTrackingMetricGroup(metrics)
	p.tracker.sent(id, outboxEntry{item: g.Item, seq: g.Seq})
	p.noteDeliveries()
}

// emitOutbox writes, in order, the outbox entries of the item this process
// has not handed to Telegraf yet, with each point's current state.
func (p *Plaid) emitOutbox(acc telegraf.TrackingAccumulator, item string) error {
	for {
		g, ok, err := p.ledger.Undelivered(item, p.tracker.emittedThrough(item))
		if err != nil || !ok {
			return err
		}
		p.emitGroup(acc, g)
	}
}

// emitUndelivered writes what a previous process committed but did not
// deliver, before anything else; also for items no longer configured, whose
// last changes still belong in InfluxDB.
func (p *Plaid) emitUndelivered(acc telegraf.TrackingAccumulator) {
	names, err := p.ledger.Items()
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

// replayDue says whether the replay is due: at a process's first gather and
// every replay_interval after; never with replay_window = "0s".
func (p *Plaid) replayDue() bool {
	if p.ReplayWindow == 0 {
		return false
	}
	return !p.replayed || p.now().Sub(p.lastReplay) >= time.Duration(p.ReplayInterval)
}

// replay writes again, from the ledger and without calling Plaid, every
// point (live or tombstone) of the transactions and investment transactions
// dated within replay_window,
// so that points lost downstream heal themselves.
func (p *Plaid) replay(acc telegraf.Accumulator, items []configuredItem) {
	p.replayed = true
	p.lastReplay = p.now()
	today := p.now().In(p.location)
	fromDay := ledger.DayOf(today.Year(), today.Month(), today.Day()) - uint32(time.Duration(p.ReplayWindow)/(24*time.Hour))
	total := 0
	for _, item := range items {
		n, err := p.ledger.Replay(item.Name, fromDay, func(points []ledger.Point) error {
			for i := range points {
				acc.AddMetric(pointMetric(item.Name, &points[i]))
			}
			return nil
		})
		total += n
		if err != nil {
			p.Log.Errorf("[%s] replaying points: %v", item.Name, err)
		}
	}
	p.Log.Debugf("replayed %d points dated within %s", total, time.Duration(p.ReplayWindow))
}
