package ledger

import (
	"bytes"
	"maps"
	"sync/atomic"
)

// commitBatch is about how many changes one commit applies: fewer, larger
// commits cost less CPU.
const commitBatch = 2000

// releaseAfter is how many changes commits must apply, over all items,
// before the pages they touched are dropped from memory: only that much is
// worth the system calls, and counting across items keeps a backfill of
// many small items from keeping the whole file resident.
const releaseAfter = 500

// releaseAfterReads is how many item reads may fault pages in before they
// are dropped: a gather that reads every item once (the first after a
// backfill) would otherwise leave a few pages of each resident.
const releaseAfterReads = 64

func (l *Ledger) readItem() { l.countTowardsRelease(&l.readsRelease, 1, releaseAfterReads) }

// appliedChanges counts changes committed and drops the file's pages from
// memory once releaseAfter of them accumulated.
func (l *Ledger) appliedChanges(n int) {
	l.countTowardsRelease(&l.sinceRelease, int64(n), releaseAfter)
}

func (l *Ledger) countTowardsRelease(counter *atomic.Int64, n, limit int64) {
	if counter.Add(n) < limit {
		return
	}
	counter.Store(0)
	l.releaseMemory()
}

// Page is one /transactions/sync response as the ledger keeps it.
type Page struct {
	Changes      []Change
	NextCursor   string
	HasMore      bool
	UpdateStatus string
	Accounts     map[string]Account // the accounts the page mentions
}

// StagePage stores a page of the loop in progress and the loop's new
// position in one commit. A page that changes nothing (no entries, the
// committed cursor again, nothing new about accounts or status) commits
// nothing.
func (l *Ledger) StagePage(item string, page *Page) (Cursor, error) {
	st, c, err := l.Item(item)
	if err != nil {
		return c, err
	}
	if c.Phase == Idle && len(page.Changes) == 0 && !page.HasMore && page.NextCursor == c.Committed &&
		page.UpdateStatus == st.UpdateStatus && !accountsChange(st.Accounts, page.Accounts) {
		return c, nil
	}
	err = l.update(item, func(it *itemTx) error {
		var err error
		if st, c, err = it.meta(); err != nil {
			return err
		}
		if err := c.staged(page.NextCursor, page.HasMore, it.indexHeld()); err != nil {
			return err
		}
		if len(page.Changes) > 0 {
			if err := it.stage(page.Changes); err != nil {
				return err
			}
		}
		st.UpdateStatus = page.UpdateStatus
		if accountsChange(st.Accounts, page.Accounts) {
			merged := maps.Clone(st.Accounts)
			if merged == nil {
				merged = make(map[string]Account, len(page.Accounts))
			}
			maps.Copy(merged, page.Accounts)
			st.Accounts = merged
		}
		return it.putMeta(&st, &c)
	})
	return c, err
}

func accountsChange(known, page map[string]Account) bool {
	for id, a := range page {
		if k, ok := known[id]; !ok || k != a {
			return true
		}
	}
	return false
}

// Abandon drops the staged pages of an unfinished loop; the next loop starts
// again at the committed cursor.
func (l *Ledger) Abandon(item string) (Cursor, error) {
	var c Cursor
	err := l.update(item, func(it *itemTx) error {
		st, cur, err := it.meta()
		if err != nil {
			return err
		}
		c = cur
		if c.Phase != Fetching {
			return nil
		}
		if err := it.clearStaging(); err != nil {
			return err
		}
		c.abandoned()
		return it.putMeta(&st, &c)
	})
	return c, err
}

// RejectCursor forgets a cursor Plaid refuses, with any staged pages: the
// next loop is a full resync, reconciled against the index.
func (l *Ledger) RejectCursor(item string) error {
	return l.update(item, func(it *itemTx) error {
		st, c, err := it.meta()
		if err != nil {
			return err
		}
		if err := it.clearStaging(); err != nil {
			return err
		}
		c.rejected()
		return it.putMeta(&st, &c)
	})
}

// Apply folds a finished loop's staged pages into the index, a batch of
// changes per commit, and hands emit the groups of points each commit
// changed, right after it. A resync then retracts the indexed transactions it
// did not mention. The loop's cursor becomes the committed one at the end. A
// process killed half way resumes with the first page not applied.
func (l *Ledger) Apply(item string, shape Shape, emit func(Group) error) (Counts, error) {
	var counts Counts
	for {
		_, c, err := l.Item(item)
		if err != nil || c.Phase != Applying && c.Phase != Reconciling {
			return counts, err
		}
		var q queue
		applied := 0
		err = l.update(item, func(it *itemTx) error {
			st, c, err := it.meta()
			if err != nil {
				return err
			}
			ix := indexer{it: it, shape: shape, accounts: st.Accounts, seen: c.Reconcile, queue: &q}
			budget := commitBatch
			for c.Phase == Applying && budget > 0 {
				key, changes, err := it.firstStaged()
				if err != nil {
					return err
				}
				if key == nil {
					if err := c.applied(); err != nil {
						return err
					}
					break
				}
				n, err := ix.apply(changes)
				if err != nil {
					return err
				}
				counts.Add(n)
				applied += len(changes)
				budget -= max(len(changes), 1)
				if err := it.staging.Delete(key); err != nil {
					return err
				}
			}
			if c.Phase == Reconciling && budget > 0 {
				n, finished, err := ix.reconcile(&c, budget)
				if err != nil {
					return err
				}
				counts.Removed += n
				counts.Reconciled += n
				if finished {
					counts.Resynced = true
					if err := it.dropSeen(); err != nil {
						return err
					}
					if err := c.reconciled(); err != nil {
						return err
					}
				}
			}
			if err := q.log(it); err != nil {
				return err
			}
			return it.putMeta(&st, &c)
		})
		if err != nil {
			return counts, err
		}
		l.appliedChanges(applied)
		if err := l.handOut(item, &q, emit); err != nil {
			return counts, err
		}
	}
}

// handOut journals the groups of points a commit queued, then hands them
// to emit: a point is durable in the journal before anything can write it.
func (l *Ledger) handOut(item string, q *queue, emit func(Group) error) error {
	groups := q.groups(item)
	if err := l.journal.record(groups...); err != nil {
		return err
	}
	for _, g := range groups {
		if err := emit(g); err != nil {
			return err
		}
	}
	return nil
}

// reconcile retracts, in key order from where it stopped, up to budget
// indexed transactions that the resync did not mention.
func (ix *indexer) reconcile(c *Cursor, budget int) (retracted int, finished bool, err error) {
	it := ix.it
	seen := it.bucket.Bucket(bucketSeen)
	cur := it.txs.Cursor()
	var k, v []byte
	if c.Scanned == "" {
		k, v = cur.First()
	} else {
		k, v = cur.Seek([]byte(c.Scanned))
		if k != nil && bytes.Equal(k, []byte(c.Scanned)) {
			k, v = cur.Next()
		}
	}
	var drop [][]byte
	for ; k != nil && budget > 0; k, v = cur.Next() {
		budget--
		c.Scanned = string(k)
		if seen != nil && seen.Get(k) != nil {
			continue
		}
		var key Key
		copy(key[:], v)
		if err := ix.retract(key); err != nil {
			return retracted, false, err
		}
		drop = append(drop, bytes.Clone(k))
		retracted++
	}
	for _, id := range drop {
		if err := it.txs.Delete(id); err != nil {
			return retracted, false, err
		}
	}
	return retracted, k == nil, nil
}

// RetractItem turns every live point of an item (its investment
// transactions too) into a tombstone and forgets its cursor and staged
// pages; the tombstones stay. Used when the item was
// linked anew, since Plaid then sends its whole history again under new ids.
func (l *Ledger) RetractItem(item string, emit func(Group) error) (int, error) {
	total := 0
	for {
		n, invested := 0, 0
		var q queue
		err := l.update(item, func(it *itemTx) error {
			ix := indexer{it: it, queue: &q}
			cur := it.txs.Cursor()
			var drop [][]byte
			for k, v := cur.First(); k != nil && n < commitBatch; k, v = cur.Next() {
				var key Key
				copy(key[:], v)
				if err := ix.retract(key); err != nil {
					return err
				}
				drop = append(drop, bytes.Clone(k))
				n++
			}
			for _, k := range drop {
				if err := it.txs.Delete(k); err != nil {
					return err
				}
			}
			if n == 0 {
				retracted, err := ix.retractInvestments()
				if err != nil {
					return err
				}
				invested = retracted
				st, _, err := it.meta()
				if err != nil {
					return err
				}
				if err := it.clearStaging(); err != nil {
					return err
				}
				if err := it.putMeta(&st, &Cursor{}); err != nil {
					return err
				}
			}
			return q.log(it)
		})
		total += n + invested
		if err != nil {
			return total, err
		}
		if err := l.handOut(item, &q, emit); err != nil {
			return total, err
		}
		if n == 0 {
			return total, nil
		}
	}
}

// replayBatch bounds how many points one read transaction collects, so that
// a replay never holds the file open while downstream is slow.
const replayBatch = 1000

// Replay hands fn, in batches, every point (live or tombstone) of the item's
// transactions dated fromDay or later.
func (l *Ledger) Replay(item string, fromDay uint32, fn func([]Point) error) (int, error) {
	next := dayPrefix(fromDay)
	total := 0
	for next != nil {
		var batch []Point
		err := l.view(item, func(it *itemTx) error {
			if it.points == nil {
				next = nil
				return nil
			}
			cur := it.points.Cursor()
			k, v := cur.Seek(next)
			for ; k != nil && len(batch) < replayBatch; k, v = cur.Next() {
				p, err := decodePoint(v)
				if err != nil {
					return err
				}
				batch = append(batch, p)
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
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return total, err
			}
		}
		total += len(batch)
	}
	return total, nil
}
