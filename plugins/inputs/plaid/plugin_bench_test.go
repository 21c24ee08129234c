package plaid

import (
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// The plugin's per-transaction stages, measured apart so that the whole
// process figures of docs/benchmarks.md can be attributed.

// benchSyncPage is the first 500-transaction page of a full sync, as the emulator
// sends it.
func benchSyncPage(b *testing.B) []byte {
	b.Helper()
	page, err := plaidemu.FirstSyncPage(1, syncPageSize)
	if err != nil {
		b.Fatal(err)
	}
	return page
}

func reportPerTxn(b *testing.B, txns int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(txns), "ns/txn")
	b.ReportMetric(float64(txns), "txns/op")
}

// BenchmarkPluginSyncPageDecode decodes a page as the plugin does.
func BenchmarkPluginSyncPageDecode(b *testing.B) {
	raw := benchSyncPage(b)
	var probe syncPage
	if err := gojson.Unmarshal(raw, &probe); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for b.Loop() {
		var page syncPage
		if err := gojson.Unmarshal(raw, &page); err != nil {
			b.Fatal(err)
		}
	}
	reportPerTxn(b, len(probe.Added))
}

// BenchmarkPluginTransactionLine builds each transaction's point and metric
// and encodes it with line-protocol/v2 from the metric's tag and field
// lists, as plaid-sync's writer does.
func BenchmarkPluginTransactionLine(b *testing.B) {
	raw := benchSyncPage(b)
	var page syncPage
	if err := gojson.Unmarshal(raw, &page); err != nil {
		b.Fatal(err)
	}
	plugin := &Plaid{location: time.UTC}
	txns := make([]ledger.Txn, len(page.Added))
	for i := range page.Added {
		txns[i] = page.Added[i].ledgerTxn()
		if _, err := plugin.shapeTransaction(&txns[i], nil); err != nil {
			b.Fatal(err)
		}
	}
	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Nanosecond)
	b.ResetTimer()
	for b.Loop() {
		for i := range txns {
			p, _ := plugin.shapeTransaction(&txns[i], nil)
			m := transactionMetric("Test Chase", &p)
			enc.Reset()
			enc.StartLine(m.Name())
			for _, tag := range m.TagList() {
				enc.AddTag(tag.Key, tag.Value)
			}
			for _, field := range m.FieldList() {
				enc.AddField(field.Key, lineprotocol.MustNewValue(field.Value))
			}
			enc.EndLine(m.Time())
			if err := enc.Err(); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportPerTxn(b, len(page.Added))
}
