package plaid

import (
	"bytes"
	"time"

	"github.com/influxdata/telegraf"
)

// replayBatch bounds how many points one read transaction collects, so that
// a replay never holds the store open while Telegraf is slow to take points.
const replayBatch = 1000

func (p *Plaid) replayDue() bool {
	return !p.replayed || p.now().Sub(p.lastReplay) >= time.Duration(p.ReplayInterval)
}

// replay writes again, from the index and without calling Plaid, every point
// (live or tombstone) of the transactions dated within replay_window, so that
// points lost downstream heal themselves.
func (p *Plaid) replay(acc telegraf.Accumulator, items []configuredItem) {
	p.replayed = true
	p.lastReplay = p.now()
	today := p.now().In(p.location)
	fromDay := daysSinceEpoch(today.Year(), today.Month(), today.Day()) - uint32(time.Duration(p.ReplayWindow)/(24*time.Hour))
	total := 0
	for _, item := range items {
		n, err := p.replayItem(acc, item.Name, fromDay)
		total += n
		if err != nil {
			p.Log.Errorf("[%s] replaying points: %v", item.Name, err)
		}
	}
	p.Log.Debugf("replayed %d points dated within %s", total, time.Duration(p.ReplayWindow))
}

func (p *Plaid) replayItem(acc telegraf.Accumulator, item string, fromDay uint32) (int, error) {
	next := dayKeyPrefix(fromDay)
	total := 0
	for next != nil {
		var batch []point
		err := p.store.view(item, func(it *itemTx) error {
			if it.points == nil {
				next = nil
				return nil
			}
			c := it.points.Cursor()
			k, v := c.Seek(next)
			for ; k != nil && len(batch) < replayBatch; k, v = c.Next() {
				pt, err := decodePoint(v)
				if err != nil {
					return err
				}
				batch = append(batch, pt)
			}
			if k == nil {
				next = nil
			} else {
				next = bytes.Clone(k)
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		for i := range batch {
			acc.AddMetric(transactionMetric(item, &batch[i]))
		}
		total += len(batch)
	}
	return total, nil
}
