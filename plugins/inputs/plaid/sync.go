package plaid

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
)

// maxPagesPerLoop bounds one page loop (500 transactions a page).
const maxPagesPerLoop = 20000

// errSyncIncomplete marks a page loop cut short by the gather's deadline,
// errSyncStopped one cut short by plaid-sync stopping. The staged pages stay
// and the next gather resumes the loop.
var (
	errSyncIncomplete = errors.New("sync incomplete: the gather's deadline passed; it resumes at the next gather")
	errSyncStopped    = errors.New("sync interrupted: plaid-sync is stopping; it resumes when it starts again")
)

func isIncomplete(err error) bool {
	return errors.Is(err, errSyncIncomplete) || errors.Is(err, errSyncStopped)
}

// cutShort says why a page loop could not go on.
func (p *Plaid) cutShort(cause error) error {
	base := errSyncIncomplete
	if p.ctx.Err() != nil {
		base = errSyncStopped
	}
	if cause == nil {
		return base
	}
	return fmt.Errorf("%w (%v)", base, cause)
}

func tokenFingerprint(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return hex.EncodeToString(sum[:8])
}

// syncTransactions runs the item's /transactions/sync page loop from its
// committed cursor, stages every page, and once the last page is staged
// applies them to the index and emits the resulting points. The cursor
// becomes the committed one only when all staged pages are applied.
func (p *Plaid) syncTransactions(ctx context.Context, api *api, acc telegraf.TrackingAccumulator, item configuredItem) (applyCounts, string, error) {
	var counts applyCounts
	meta, err := p.itemMeta(item.Name)
	if err != nil {
		return counts, "", err
	}
	if fp := tokenFingerprint(item.AccessToken); meta.TokenFingerprint != fp {
		if meta.TokenFingerprint != "" {
			n, err := p.retractAll(acc, item.Name)
			counts.Removed += n
			if err != nil {
				return counts, "", err
			}
			p.Log.Infof("[%s] the access token changed (a new link): %d transactions of the previous link were retracted and the history is synced again", item.Name, n)
		} else {
			n, err := p.retractRenamed(acc, item.Name, fp)
			counts.Removed += n
			if err != nil {
				return counts, "", err
			}
		}
		meta = itemMeta{TokenFingerprint: fp}
		if err := p.store.update(item.Name, func(it *itemTx) error { return it.putMeta(&meta) }); err != nil {
			return counts, "", err
		}
	}

	if meta.Applying {
		// A loop staged completely by an earlier process: finish it first.
		applied, err := p.applyStaged(acc, item.Name)
		counts.add(applied)
		if err != nil {
			return counts, meta.UpdateStatus, err
		}
		if meta, err = p.itemMeta(item.Name); err != nil {
			return counts, "", err
		}
	}
	meta, err = p.fetchPages(ctx, api, item, meta)
	if err != nil {
		return counts, meta.UpdateStatus, err
	}
	applied, err := p.applyStaged(acc, item.Name)
	counts.add(applied)
	return counts, meta.UpdateStatus, err
}

func (p *Plaid) itemMeta(item string) (itemMeta, error) {
	var meta itemMeta
	err := p.store.view(item, func(it *itemTx) error {
		var err error
		meta, err = it.meta()
		return err
	})
	return meta, err
}

// fetchPages stages pages until Plaid says has_more=false, each page as it
// arrives, so that memory holds one page per item. A loop cut short by the
// deadline resumes from its last cursor at the next gather; a loop that
// fails, or that Plaid asks to restart, starts again from the committed
// cursor.
func (p *Plaid) fetchPages(ctx context.Context, api *api, item configuredItem, meta itemMeta) (itemMeta, error) {
	next := meta.Cursor
	if meta.LoopCursor != "" {
		next = meta.LoopCursor
	}
	restarts := 0
	for meta.LoopPages < maxPagesPerLoop {
		if ctx.Err() != nil {
			return meta, p.cutShort(nil)
		}
		var page *syncPage
		err := p.retry.do(ctx, func(ctx context.Context) error {
			var err error
			page, err = api.transactionsSync(ctx, item.AccessToken, next, p.pageSize, p.DaysRequested)
			return err
		}, func(err error, wait time.Duration) {
			p.Log.Debugf("[%s] /transactions/sync: %v; retrying in %s", item.Name, err, wait.Round(time.Millisecond))
		})
		if err != nil {
			pe, _ := plaidapi.AsError(err)
			switch {
			case pe != nil && pe.MutationDuringPagination() && restarts < maxLoopRestarts:
				restarts++
				p.Log.Debugf("[%s] Plaid's data changed during pagination; restarting the page loop", item.Name)
				if meta, err = p.abandonLoop(item.Name); err != nil {
					return meta, err
				}
				next = meta.Cursor
				continue
			case ctx.Err() != nil || errors.Is(err, errNoTimeLeft):
				return meta, p.cutShort(err)
			default:
				if m, abandonErr := p.abandonLoop(item.Name); abandonErr == nil {
					meta = m
				}
				return meta, err
			}
		}
		if meta, err = p.stagePage(item.Name, page); err != nil {
			return meta, err
		}
		if !page.HasMore {
			return meta, nil
		}
		next = page.NextCursor
	}
	return meta, fmt.Errorf("the page loop exceeded %d pages; it starts again at the next gather", maxPagesPerLoop)
}

// stagePage stores a page and the loop's position in one transaction.
func (p *Plaid) stagePage(item string, page *syncPage) (itemMeta, error) {
	var meta itemMeta
	err := p.store.update(item, func(it *itemTx) error {
		var err error
		if meta, err = it.meta(); err != nil {
			return err
		}
		if err := it.stage(page.changes()); err != nil {
			return err
		}
		meta.LoopPages++
		meta.UpdateStatus = page.UpdateStatus
		mergeAccounts(&meta, page.Accounts)
		if page.HasMore {
			meta.LoopCursor = page.NextCursor
		} else {
			meta.LoopCursor = ""
			meta.Applying = true
			meta.PendingCursor = page.NextCursor
		}
		return it.putMeta(&meta)
	})
	return meta, err
}

func mergeAccounts(meta *itemMeta, accounts []syncAccount) {
	if len(accounts) == 0 {
		return
	}
	merged := maps.Clone(meta.Accounts)
	if merged == nil {
		merged = make(map[string]accountInfo, len(accounts))
	}
	for _, a := range accounts {
		currency := a.Balances.ISOCurrencyCode
		if currency == "" {
			currency = a.Balances.UnofficialCurrency
		}
		merged[a.AccountID] = accountInfo{Name: a.Name, Mask: a.Mask, Type: a.Type, Subtype: a.Subtype, Currency: currency}
	}
	meta.Accounts = merged
}

// abandonLoop drops the staged pages of an unfinished loop.
func (p *Plaid) abandonLoop(item string) (itemMeta, error) {
	var meta itemMeta
	err := p.store.update(item, func(it *itemTx) error {
		var err error
		if meta, err = it.meta(); err != nil {
			return err
		}
		if err := it.clearStaging(); err != nil {
			return err
		}
		meta.LoopCursor = ""
		meta.LoopPages = 0
		return it.putMeta(&meta)
	})
	return meta, err
}

// applyStaged applies the staged pages of a finished loop, a few pages per
// transaction, writes the resulting points as soon as they are committed,
// and finally commits the loop's cursor. A process killed half way continues
// with the first page not applied.
func (p *Plaid) applyStaged(acc telegraf.TrackingAccumulator, item string) (applyCounts, error) {
	var counts applyCounts
	// Points committed earlier and not yet written go first.
	if err := p.emitOutbox(acc, item); err != nil {
		return counts, err
	}
	for {
		done := false
		var queued queuedPoints
		// Outbox entries delivered meanwhile go in the same commit.
		delivered := p.tracker.takeDelivered(item)
		err := p.store.update(item, func(it *itemTx) error {
			if err := it.dropDelivered(delivered); err != nil {
				return err
			}
			meta, err := it.meta()
			if err != nil {
				return err
			}
			ix := indexer{item: item, location: p.location, accounts: meta.Accounts, queued: &queued}
			for applied := 0; applied < commitBatch; {
				if !meta.Applying {
					done = true
					break
				}
				key, changes, err := it.firstStaged()
				if err != nil {
					return err
				}
				if key == nil {
					meta.Cursor = meta.PendingCursor
					meta.PendingCursor = ""
					meta.Applying = false
					meta.LoopPages = 0
					done = true
					if err := it.putMeta(&meta); err != nil {
						return err
					}
					break
				}
				c, err := ix.apply(it, changes)
				if err != nil {
					return err
				}
				counts.add(c)
				applied += len(changes)
				if err := it.staging.Delete(key); err != nil {
					return err
				}
			}
			return queued.log(it)
		})
		if err != nil {
			p.tracker.putBack(delivered)
			return counts, err
		}
		p.store.releaseMapping()
		if err := p.emitQueued(acc, item, &queued); err != nil {
			return counts, err
		}
		if done {
			return counts, nil
		}
	}
}

// retractRenamed handles a section renamed in accounts_file: a new item
// name whose access token belonged to a name no longer configured. The old
// name's points are retracted and its sync state forgotten, since the new
// name syncs the whole history again under its own item tag.
func (p *Plaid) retractRenamed(acc telegraf.TrackingAccumulator, name, fingerprint string) (int, error) {
	configured := make(map[string]bool, len(p.accounts.settings.Items))
	for _, it := range p.accounts.settings.Items {
		configured[it.Name] = true
	}
	names, err := p.store.itemNames()
	if err != nil {
		return 0, err
	}
	total := 0
	for _, old := range names {
		if old == name || configured[old] {
			continue
		}
		meta, err := p.itemMeta(old)
		if err != nil {
			return total, err
		}
		if meta.TokenFingerprint != fingerprint {
			continue
		}
		n, err := p.retractAll(acc, old)
		total += n
		if err != nil {
			return total, err
		}
		// The tombstones stay; the old name no longer claims the token.
		if err := p.store.update(old, func(it *itemTx) error { return it.putMeta(&itemMeta{}) }); err != nil {
			return total, err
		}
		p.Log.Infof("[%s] was renamed from %q: %d transactions under the old name were retracted and the history is synced again under the new one", name, old, n)
	}
	return total, nil
}

// retractAll turns every live point of an item into a tombstone and forgets
// its sync state: used when the item was linked anew, since Plaid then sends
// its whole history again under new ids.
func (p *Plaid) retractAll(acc telegraf.TrackingAccumulator, item string) (int, error) {
	const batch = 1000
	total := 0
	for {
		n := 0
		var queued queuedPoints
		err := p.store.update(item, func(it *itemTx) error {
			ix := indexer{item: item, queued: &queued}
			c := it.txs.Cursor()
			var drop [][]byte
			for k, v := c.First(); k != nil && n < batch; k, v = c.Next() {
				var key pointKey
				copy(key[:], v)
				if err := ix.retract(it, key); err != nil {
					return err
				}
				drop = append(drop, append([]byte(nil), k...))
				n++
			}
			for _, k := range drop {
				if err := it.txs.Delete(k); err != nil {
					return err
				}
			}
			if n == 0 {
				return it.clearStaging()
			}
			return queued.log(it)
		})
		total += n
		if err != nil {
			return total, err
		}
		if err := p.emitQueued(acc, item, &queued); err != nil {
			return total, err
		}
		if n == 0 {
			return total, nil
		}
	}
}
