package plaid

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
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

// syncTransactions brings the item's transactions up to date: it finishes a
// loop an earlier process staged completely, runs the /transactions/sync page
// loop from the ledger's cursor, staging every page, and then applies the
// staged pages, writing the points each commit changed.
func (p *Plaid) syncTransactions(ctx context.Context, api *api, acc telegraf.TrackingAccumulator, item configuredItem) (ledger.Counts, string, error) {
	var counts ledger.Counts
	n, err := p.claimToken(acc, item)
	counts.Removed += n
	if err != nil {
		return counts, "", err
	}
	applied, err := p.applyStaged(acc, item.Name)
	counts.Add(applied)
	if err == nil {
		if err = p.fetchPages(ctx, api, item); err == nil {
			applied, err = p.applyStaged(acc, item.Name)
			counts.Add(applied)
		}
	}
	st, _, stErr := p.ledger.Item(item.Name)
	if err == nil {
		err = stErr
	}
	return counts, st.UpdateStatus, err
}

// claimToken makes the ledger's history of the item belong to its current
// access token: a new link of the same name, or a section renamed in
// accounts_file, retracts what the previous one wrote.
func (p *Plaid) claimToken(acc telegraf.TrackingAccumulator, item configuredItem) (int, error) {
	st, _, err := p.ledger.Item(item.Name)
	if err != nil {
		return 0, err
	}
	fp := tokenFingerprint(item.AccessToken)
	if st.TokenFingerprint == fp {
		return 0, nil
	}
	var retracted int
	if st.TokenFingerprint != "" {
		retracted, err = p.ledger.RetractItem(item.Name, p.emitter(acc))
		if err != nil {
			return retracted, err
		}
		p.Log.Infof("[%s] the access token changed (a new link): %d transactions of the previous link were retracted and the history is synced again", item.Name, retracted)
	} else if retracted, err = p.retractRenamed(acc, item.Name, fp); err != nil {
		return retracted, err
	}
	return retracted, p.ledger.UpdateItem(item.Name, func(s *ledger.ItemState) { *s = ledger.ItemState{TokenFingerprint: fp} })
}

// fetchPages stages pages until Plaid says has_more=false, each page as it
// arrives, so that memory holds one page per item. A loop cut short by the
// deadline resumes from its last cursor at the next gather; a loop that
// fails, or that Plaid asks to restart, starts again from the committed
// cursor; a cursor Plaid rejects starts a full resync, reconciled.
func (p *Plaid) fetchPages(ctx context.Context, api *api, item configuredItem) error {
	_, cur, err := p.ledger.Item(item.Name)
	if err != nil {
		return err
	}
	restarts, rejected := 0, false
	for cur.Pages < maxPagesPerLoop {
		if ctx.Err() != nil {
			return p.cutShort(nil)
		}
		var page *syncPage
		err := p.retry.do(ctx, func(ctx context.Context) error {
			var err error
			page, err = api.transactionsSync(ctx, item.AccessToken, cur.Start(), p.pageSize, p.DaysRequested)
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
				if cur, err = p.ledger.Abandon(item.Name); err != nil {
					return err
				}
				continue
			case pe != nil && cursorRejected(pe) && cur.Start() != "" && !rejected:
				rejected = true
				p.Log.Warnf("[%s] Plaid no longer accepts the saved sync cursor (%s): syncing the whole history again and reconciling it with what was written", item.Name, pe.Code)
				if err := p.ledger.RejectCursor(item.Name); err != nil {
					return err
				}
				cur = ledger.Cursor{}
				continue
			case ctx.Err() != nil || errors.Is(err, errNoTimeLeft):
				return p.cutShort(err)
			default:
				_, _ = p.ledger.Abandon(item.Name)
				return err
			}
		}
		if cur, err = p.ledger.StagePage(item.Name, page.ledgerPage()); err != nil {
			return err
		}
		if !page.HasMore {
			return nil
		}
	}
	return fmt.Errorf("the page loop exceeded %d pages; it starts again at the next gather", maxPagesPerLoop)
}

// cursorRejected reports Plaid refusing the cursor of a /transactions/sync
// request, as after it reset the item.
func cursorRejected(pe *plaidapi.Error) bool {
	return pe.Code == "INVALID_FIELD" && strings.Contains(strings.ToLower(pe.Message), "cursor")
}

// applyStaged writes what earlier commits left undelivered, then applies
// the staged pages of a finished loop, writing each commit's points as soon
// as it is committed.
func (p *Plaid) applyStaged(acc telegraf.TrackingAccumulator, item string) (ledger.Counts, error) {
	if err := p.emitOutbox(acc, item); err != nil {
		return ledger.Counts{}, err
	}
	counts, err := p.ledger.Apply(item, p.shapeTransaction, p.emitter(acc))
	for _, s := range counts.Skipped {
		p.Log.Warnf("[%s] transaction %s skipped: %s; it is applied when Plaid sends it again", item, s.TransactionID, s.Reason)
	}
	if counts.Resynced {
		p.Log.Infof("[%s] full resync reconciled with the ledger: %d transactions that Plaid no longer has were retracted", item, counts.Reconciled)
	}
	return counts, err
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
	names, err := p.ledger.Items()
	if err != nil {
		return 0, err
	}
	total := 0
	for _, old := range names {
		if old == name || configured[old] {
			continue
		}
		st, _, err := p.ledger.Item(old)
		if err != nil {
			return total, err
		}
		if st.TokenFingerprint != fingerprint {
			continue
		}
		n, err := p.ledger.RetractItem(old, p.emitter(acc))
		total += n
		if err != nil {
			return total, err
		}
		// The tombstones stay; the old name no longer claims the token.
		if err := p.ledger.UpdateItem(old, func(s *ledger.ItemState) { *s = ledger.ItemState{} }); err != nil {
			return total, err
		}
		p.Log.Infof("[%s] was renamed from %q: %d transactions under the old name were retracted and the history is synced again under the new one", name, old, n)
	}
	return total, nil
}
