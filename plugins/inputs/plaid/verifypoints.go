package plaid

import (
	"github.com/influxdata/telegraf"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
)

// ItemTag is the item tag the plugin writes for an item's section name.
func ItemTag(item string) string { return cleanTag(item) }

// CheckedItemTags says which item tags a check of this instance's ledger
// covers: with shard = "I/N", those of its own items (nil: all of them). It
// reads accounts_file; the plugin need not be initialised.
func (p *Plaid) CheckedItemTags() (func(tag string) bool, error) {
	sh, err := parseShard(p.Shard)
	if err != nil || sh.count <= 1 {
		return nil, err
	}
	a, err := openAccountsFile(p.AccountsFile, sh)
	if err != nil {
		return nil, err
	}
	return a.checkedTags(), nil
}

// PointMetric is the point the plugin writes for a ledger point
// (plaid_transaction or plaid_investment_transaction), so that a repair
// writes exactly what the plugin would have written.
func PointMetric(item string, p *ledger.Point) telegraf.Metric {
	return pointMetric(item, p)
}
