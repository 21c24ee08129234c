package plaid

import (
	"github.com/influxdata/telegraf"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
)

// ItemTag is the item tag the plugin writes for an item's section name.
func ItemTag(item string) string { return cleanTag(item) }

// TransactionMetric is the point the plugin writes for a ledger point, so
// that a repair writes exactly what the plugin would have written.
func TransactionMetric(item string, p *ledger.Point) telegraf.Metric {
	return transactionMetric(item, p)
}
