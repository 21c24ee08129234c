package plaid

import (
	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
)

// reportRecovery says what Init found wrong with the state store and what
// happens next: a warning when a snapshot restored it, an error when state
// was lost for good.
func (p *Plaid) reportRecovery(r *ledger.Recovery) {
	if !r.Happened() {
		return
	}
	aside := "nothing to move aside"
	if r.MovedTo != "" {
		aside = "the file was moved aside to " + r.MovedTo
	}
	if r.Restored {
		from := "the journal"
		if !r.SnapshotTime.IsZero() {
			from = "the snapshot of " + r.SnapshotTime.UTC().Format("2006-01-02 15:04:05 UTC") + " and the journal"
		}
		p.Log.Warnf("state store in %s was %s (%v); %s, and the store was rebuilt from %s (%d points written since): each of its %d items syncs its whole history once and is reconciled with it, so nothing is lost or counted twice",
			p.StateDir, r.Problem, r.Cause, aside, from, r.Journaled, r.Items)
		return
	}
	p.Log.Errorf("state store in %s was %s (%v) and no snapshot could restore it; %s. The next sync fetches every item's history again from Plaid; "+
		"transactions Plaid removed or changed since the last sync may stay in InfluxDB beside their replacements. To check and repair InfluxDB run: plaid-sync -config PLUGIN.CONF -verify -repair",
		p.StateDir, r.Problem, r.Cause, aside)
}
