package bench

import (
	"encoding/json"
	"testing"
	"time"

	lp "github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/plaid/plaid-go/v42/plaid"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// The yardsticks of the CPU target: what decoding a real /transactions/sync
// page costs per transaction with plaid-go's generated models, and the floor
// of the job, decoding only the needed fields with encoding/json and
// encoding one line-protocol line per transaction.

// syncPageBody is the first 500-transaction page of a full sync, as the emulator
// sends it.
func syncPageBody(b *testing.B) []byte {
	b.Helper()
	page, err := plaidemu.FirstSyncPage(1, 500)
	if err != nil {
		b.Fatal(err)
	}
	return page
}

// reportPerTxn reports the time per transaction next to ns/op.
func reportPerTxn(b *testing.B, txns int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(txns), "ns/txn")
	b.ReportMetric(float64(txns), "txns/op")
}

// BenchmarkPlaidGoSyncPageDecode decodes a page into plaid-go's
// TransactionsSyncResponse, as a client built on plaid-go's models does.
func BenchmarkPlaidGoSyncPageDecode(b *testing.B) {
	body := syncPageBody(b)
	var probe plaid.TransactionsSyncResponse
	if err := json.Unmarshal(body, &probe); err != nil {
		b.Fatal(err)
	}
	txns := len(probe.Added)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		var page plaid.TransactionsSyncResponse
		if err := json.Unmarshal(body, &page); err != nil {
			b.Fatal(err)
		}
	}
	reportPerTxn(b, txns)
}

// neededTxn holds the transaction fields the plugin writes.
type neededTxn struct {
	TransactionID        string  `json:"transaction_id"`
	AccountID            string  `json:"account_id"`
	Amount               float64 `json:"amount"`
	ISOCurrencyCode      string  `json:"iso_currency_code"`
	UnofficialCurrency   string  `json:"unofficial_currency_code"`
	Date                 string  `json:"date"`
	AuthorizedDate       string  `json:"authorized_date"`
	Name                 string  `json:"name"`
	MerchantName         string  `json:"merchant_name"`
	PaymentChannel       string  `json:"payment_channel"`
	Pending              bool    `json:"pending"`
	PendingTransactionID string  `json:"pending_transaction_id"`
	Category             struct {
		Primary  string `json:"primary"`
		Detailed string `json:"detailed"`
	} `json:"personal_finance_category"`
}

type neededPage struct {
	Added      []neededTxn `json:"added"`
	Modified   []neededTxn `json:"modified"`
	NextCursor string      `json:"next_cursor"`
	HasMore    bool        `json:"has_more"`
}

// encodeLine writes one plaid_transaction line with the plugin's tags and
// fields.
func encodeLine(enc *lp.Encoder, item string, t *neededTxn) {
	enc.StartLine("plaid_transaction")
	enc.AddTag("account_id", t.AccountID)
	enc.AddTag("category", orDash(t.Category.Primary))
	currency := t.ISOCurrencyCode
	if currency == "" {
		currency = t.UnofficialCurrency
	}
	enc.AddTag("currency", orDash(currency))
	enc.AddTag("item", item)
	enc.AddField("amount", lp.MustNewValue(t.Amount))
	enc.AddField("authorized_date", lp.MustNewValue(t.AuthorizedDate))
	enc.AddField("category_detailed", lp.MustNewValue(t.Category.Detailed))
	enc.AddField("merchant_name", lp.MustNewValue(t.MerchantName))
	enc.AddField("name", lp.MustNewValue(t.Name))
	enc.AddField("payment_channel", lp.MustNewValue(t.PaymentChannel))
	enc.AddField("pending", lp.MustNewValue(t.Pending))
	enc.AddField("pending_transaction_id", lp.MustNewValue(t.PendingTransactionID))
	enc.AddField("removed", lp.MustNewValue(false))
	enc.AddField("transaction_id", lp.MustNewValue(t.TransactionID))
	day, _ := time.Parse(time.DateOnly, t.Date)
	enc.EndLine(day)
}

// orDash stands in for an empty tag value, which line protocol cannot carry.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// BenchmarkNeededFieldsDecodeAndLine is the floor: encoding/json into the
// needed fields, then one line per transaction.
func BenchmarkNeededFieldsDecodeAndLine(b *testing.B) {
	body := syncPageBody(b)
	var probe neededPage
	if err := json.Unmarshal(body, &probe); err != nil {
		b.Fatal(err)
	}
	txns := len(probe.Added)
	var enc lp.Encoder
	enc.SetPrecision(lp.Nanosecond)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		var page neededPage
		if err := json.Unmarshal(body, &page); err != nil {
			b.Fatal(err)
		}
		enc.Reset()
		for i := range page.Added {
			encodeLine(&enc, "Test Chase", &page.Added[i])
		}
		if err := enc.Err(); err != nil {
			b.Fatal(err)
		}
	}
	reportPerTxn(b, txns)
}

// BenchmarkNeededFieldsDecode is the decoding half of the floor.
func BenchmarkNeededFieldsDecode(b *testing.B) {
	body := syncPageBody(b)
	var probe neededPage
	if err := json.Unmarshal(body, &probe); err != nil {
		b.Fatal(err)
	}
	txns := len(probe.Added)
	b.ResetTimer()
	for b.Loop() {
		var page neededPage
		if err := json.Unmarshal(body, &page); err != nil {
			b.Fatal(err)
		}
	}
	reportPerTxn(b, txns)
}

// BenchmarkLineEncode is the encoding half of the floor.
func BenchmarkLineEncode(b *testing.B) {
	body := syncPageBody(b)
	var page neededPage
	if err := json.Unmarshal(body, &page); err != nil {
		b.Fatal(err)
	}
	var enc lp.Encoder
	enc.SetPrecision(lp.Nanosecond)
	b.ResetTimer()
	for b.Loop() {
		enc.Reset()
		for i := range page.Added {
			encodeLine(&enc, "Test Chase", &page.Added[i])
		}
	}
	reportPerTxn(b, len(page.Added))
}
