package plaid

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
)

const (
	measurementTransaction = ledger.Measurement
	measurementBalance     = "plaid_balance"
	measurementItem        = "plaid_item"

	uncategorized = "UNCATEGORIZED"
	secondNanos   = int64(time.Second)
)

// subSecondOffset spreads the transactions of one day over the first second
// of that day, deterministically by id, so that points of one series and day
// do not overwrite each other.
func subSecondOffset(transactionID string) int64 {
	h := fnv.New64a()
	h.Write([]byte(transactionID))
	return int64(h.Sum64() % uint64(secondNanos))
}

// shapeTransaction is the point that represents t: its tags, its fields and
// a timestamp at the start of its date in the plugin's time zone, spread
// within that second by id.
func (p *Plaid) shapeTransaction(t *ledger.Txn, accounts map[string]ledger.Account) (ledger.Point, error) {
	switch {
	case t.TransactionID == "":
		return ledger.Point{}, errors.New("no transaction_id")
	case t.AccountID == "":
		return ledger.Point{}, errors.New("no account_id")
	case math.IsNaN(t.Amount):
		return ledger.Point{}, errors.New("no amount")
	}
	date, err := time.ParseInLocation(time.DateOnly, t.Date, p.location)
	if err != nil {
		return ledger.Point{}, fmt.Errorf("date %q is not YYYY-MM-DD", t.Date)
	}
	category := t.Category.Primary
	if category == "" {
		category = uncategorized
	}
	account := t.AccountID
	if a, ok := accounts[t.AccountID]; ok && a.Name != "" {
		account = a.Name
	}
	return ledger.Point{
		Live:                 true,
		Pending:              t.Pending,
		Time:                 date.UnixNano() + subSecondOffset(t.TransactionID),
		Amount:               t.Amount,
		TransactionID:        t.TransactionID,
		AccountID:            cleanTag(t.AccountID),
		Account:              cleanTag(account),
		Category:             cleanTag(category),
		Currency:             cleanTag(t.Currency()),
		Name:                 cleanText(t.Name),
		MerchantName:         cleanText(t.MerchantName),
		CategoryDetailed:     cleanText(t.Category.Detailed),
		PaymentChannel:       cleanText(t.PaymentChannel),
		PendingTransactionID: t.PendingTransactionID,
		AuthorizedDate:       t.AuthorizedDate,
	}, nil
}

// pointMetric is the point the plugin writes for a ledger point, of
// whichever measurement it belongs to.
func pointMetric(item string, p *ledger.Point) telegraf.Metric {
	if p.Investment != nil {
		return investmentMetric(item, p)
	}
	return transactionMetric(item, p)
}

// transactionMetric is a live point, or a tombstone for a dead identity:
// amount 0 and removed=true, so that sum(amount) needs no filter. Tags and
// fields are added in a fixed order: the output is the same from run to run.
func transactionMetric(item string, p *ledger.Point) telegraf.Metric {
	m := metric.New(measurementTransaction, nil, nil, time.Unix(0, p.Time))
	m.AddTag("account", p.Account)
	m.AddTag("account_id", p.AccountID)
	m.AddTag("category", p.Category)
	m.AddTag("currency", p.Currency)
	m.AddTag("item", cleanTag(item))
	if !p.Live {
		m.AddField("amount", 0.0)
		m.AddField("removed", true)
		m.AddField("transaction_id", p.TransactionID)
		return m
	}
	m.AddField("amount", p.Amount)
	m.AddField("removed", false)
	m.AddField("pending", p.Pending)
	m.AddField("transaction_id", p.TransactionID)
	m.AddField("name", p.Name)
	m.AddField("merchant_name", p.MerchantName)
	m.AddField("category_detailed", p.CategoryDetailed)
	m.AddField("payment_channel", p.PaymentChannel)
	m.AddField("pending_transaction_id", p.PendingTransactionID)
	m.AddField("authorized_date", p.AuthorizedDate)
	return m
}

// cleanText keeps a value on one line and in valid UTF-8: line protocol and
// Telegraf's log parsing treat a newline as the end of a record, and line
// protocol holds only UTF-8. Control characters become spaces.
func cleanText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if clean || utf8.ValidString(s) && !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// cleanTag also avoids a trailing backslash, which line protocol cannot
// express at the end of a tag value.
func cleanTag(s string) string {
	s = cleanText(s)
	for strings.HasSuffix(s, `\`) {
		s = strings.TrimSuffix(s, `\`)
	}
	if s == "" {
		return "-"
	}
	return s
}
