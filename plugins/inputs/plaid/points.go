package plaid

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
)

const (
	measurementTransaction = "plaid_transaction"
	measurementBalance     = "plaid_balance"
	measurementItem        = "plaid_item"

	uncategorized = "UNCATEGORIZED"
	secondNanos   = int64(time.Second)
)

// pointKey identifies a point in the store: the civil day of the
// transaction's date (big endian, so replay can seek to the first day of its
// window) followed by a hash of everything InfluxDB uses as identity.
type pointKey [12]byte

func dayKeyPrefix(day uint32) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], day)
	return b[:]
}

func identityKey(item string, day uint32, p *point) pointKey {
	h := fnv.New64a()
	for _, s := range [...]string{measurementTransaction, item, p.AccountID, p.Account, p.Category, p.Currency} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(p.Time))
	h.Write(ts[:])
	var k pointKey
	binary.BigEndian.PutUint32(k[:4], day)
	binary.BigEndian.PutUint64(k[4:], h.Sum64())
	return k
}

// civilDate parses Plaid's YYYY-MM-DD date: a calendar day with no zone.
func civilDate(date string) (y int, m time.Month, d int, err error) {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("transaction date %q is not YYYY-MM-DD", date)
	}
	return t.Year(), t.Month(), t.Day(), nil
}

// daysSinceEpoch numbers civil days; it does not depend on any time zone.
func daysSinceEpoch(y int, m time.Month, d int) uint32 {
	return uint32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// subSecondOffset spreads the transactions of one day over the first second
// of that day, deterministically by id, so that points of one series and day
// do not overwrite each other.
func subSecondOffset(transactionID string) int64 {
	h := fnv.New64a()
	h.Write([]byte(transactionID))
	return int64(h.Sum64() % uint64(secondNanos))
}

// transactionMetric is a live point, or a tombstone for a dead identity:
// amount 0 and removed=true, so that sum(amount) needs no filter. Tags and
// fields are added in a fixed order: the output is the same from run to run.
func transactionMetric(item string, p *point) telegraf.Metric {
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
