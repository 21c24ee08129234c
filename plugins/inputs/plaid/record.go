package plaid

import (
	"encoding/binary"
	"errors"
	"math"
)

// The state store keeps two kinds of records in a compact binary form:
// changes staged from /transactions/sync pages, and points (what was written
// for a transaction: its identity and its fields). Both are read and written
// on the hot path of a backfill, so they avoid reflection-based encoders.

const recordVersion = 1

var errCorruptRecord = errors.New("corrupt record in the state store")

type changeKind byte

const (
	changeAdded changeKind = iota + 1
	changeModified
	changeRemoved
)

// txn is the part of a Plaid transaction the plugin uses.
type txn struct {
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

func (t *txn) currency() string {
	if t.ISOCurrencyCode != "" {
		return t.ISOCurrencyCode
	}
	return t.UnofficialCurrency
}

// change is one entry of a sync page: an added or modified transaction, or a
// removed transaction id.
type change struct {
	Kind changeKind
	Txn  txn
}

// point is what the plugin wrote (or will write) to plaid_transaction for one
// point identity: measurement + tags + timestamp. A dead point is a tombstone:
// the identity is written again with amount 0 and removed=true.
type point struct {
	Live                 bool
	Pending              bool
	Time                 int64 // unix nanoseconds
	Amount               float64
	TransactionID        string
	AccountID            string
	Account              string
	Category             string
	Currency             string
	Name                 string
	MerchantName         string
	CategoryDetailed     string
	PaymentChannel       string
	PendingTransactionID string
	AuthorizedDate       string
}

type encoder struct{ buf []byte }

func (e *encoder) byte(b byte) { e.buf = append(e.buf, b) }
func (e *encoder) uvarint(v uint64) {
	e.buf = binary.AppendUvarint(e.buf, v)
}
func (e *encoder) int64(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }
func (e *encoder) float(v float64) {
	e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(v))
}
func (e *encoder) string(s string) {
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}
func (e *encoder) bool(b bool) {
	if b {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorruptRecord
	}
	d.buf = nil
}

func (d *decoder) byte() byte {
	if len(d.buf) < 1 {
		d.fail()
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) int64() int64 {
	if len(d.buf) < 8 {
		d.fail()
		return 0
	}
	v := binary.BigEndian.Uint64(d.buf)
	d.buf = d.buf[8:]
	return int64(v)
}

func (d *decoder) float() float64 { return math.Float64frombits(uint64(d.int64())) }

func (d *decoder) string() string {
	n := d.uvarint()
	if uint64(len(d.buf)) < n {
		d.fail()
		return ""
	}
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	return s
}

func (d *decoder) bool() bool { return d.byte() == 1 }

// encodeChanges serialises one staged sync page.
func encodeChanges(changes []change) []byte {
	e := encoder{buf: make([]byte, 0, 64+len(changes)*160)}
	e.byte(recordVersion)
	e.uvarint(uint64(len(changes)))
	for i := range changes {
		c := &changes[i]
		t := &c.Txn
		e.byte(byte(c.Kind))
		e.string(t.TransactionID)
		e.string(t.AccountID)
		if c.Kind == changeRemoved {
			continue
		}
		e.float(t.Amount)
		e.string(t.currency())
		e.string(t.Date)
		e.string(t.AuthorizedDate)
		e.string(t.Name)
		e.string(t.MerchantName)
		e.string(t.PaymentChannel)
		e.bool(t.Pending)
		e.string(t.PendingTransactionID)
		e.string(t.Category.Primary)
		e.string(t.Category.Detailed)
	}
	return e.buf
}

func decodeChanges(b []byte) ([]change, error) {
	d := decoder{buf: b}
	if d.byte() != recordVersion {
		return nil, errCorruptRecord
	}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(b)) {
		return nil, errCorruptRecord
	}
	changes := make([]change, n)
	for i := range changes {
		c := &changes[i]
		t := &c.Txn
		c.Kind = changeKind(d.byte())
		t.TransactionID = d.string()
		t.AccountID = d.string()
		switch c.Kind {
		case changeRemoved:
			continue
		case changeAdded, changeModified:
		default:
			return nil, errCorruptRecord
		}
		t.Amount = d.float()
		t.ISOCurrencyCode = d.string()
		t.Date = d.string()
		t.AuthorizedDate = d.string()
		t.Name = d.string()
		t.MerchantName = d.string()
		t.PaymentChannel = d.string()
		t.Pending = d.bool()
		t.PendingTransactionID = d.string()
		t.Category.Primary = d.string()
		t.Category.Detailed = d.string()
	}
	return changes, d.err
}

func encodePoint(p *point) []byte {
	e := encoder{buf: make([]byte, 0, 192)}
	e.byte(recordVersion)
	var flags byte
	if p.Live {
		flags |= 1
	}
	if p.Pending {
		flags |= 2
	}
	e.byte(flags)
	e.int64(p.Time)
	e.float(p.Amount)
	e.string(p.TransactionID)
	e.string(p.AccountID)
	e.string(p.Account)
	e.string(p.Category)
	e.string(p.Currency)
	e.string(p.Name)
	e.string(p.MerchantName)
	e.string(p.CategoryDetailed)
	e.string(p.PaymentChannel)
	e.string(p.PendingTransactionID)
	e.string(p.AuthorizedDate)
	return e.buf
}

func decodePoint(b []byte) (point, error) {
	d := decoder{buf: b}
	var p point
	if d.byte() != recordVersion {
		return p, errCorruptRecord
	}
	flags := d.byte()
	p.Live = flags&1 != 0
	p.Pending = flags&2 != 0
	p.Time = d.int64()
	p.Amount = d.float()
	p.TransactionID = d.string()
	p.AccountID = d.string()
	p.Account = d.string()
	p.Category = d.string()
	p.Currency = d.string()
	p.Name = d.string()
	p.MerchantName = d.string()
	p.CategoryDetailed = d.string()
	p.PaymentChannel = d.string()
	p.PendingTransactionID = d.string()
	p.AuthorizedDate = d.string()
	return p, d.err
}
