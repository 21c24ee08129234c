package plaid

import (
	"github.com/influxdata/telegraf"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
)

// ItemTag is the item tag the plugin writes for an item's section name.
func ItemTag(item string) string { return cleanTag(item) }

// PointMetric is the point the plugin writes for a ledger point
// (plaid_transaction or plaid_investment_transaction), so that a repair
// writes exactly what the plugin would have written.
func PointMetric(item string, p *ledger.Point) telegraf.Metric {
	return pointMetric(item, p)
}
