package ledger

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
)

// Records are kept in a compact binary form: they are read and written on
// the hot path of a backfill, so they avoid reflection-based encoders.
// Version 2 records end in a CRC-32C of everything before it, so that bytes
// damaged inside a value are found instead of read as data; version 1
// records (no checksum) are still read.

const (
	recordV1 = 1
	recordV2 = 2
)

// ErrCorrupt marks a record or a file that cannot be trusted.
var ErrCorrupt = errors.New("damaged record in the state store")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ChangeKind says what a sync page entry does to its transaction.
type ChangeKind byte

const (
	Added ChangeKind = iota + 1
	Modified
	Removed
)

// Txn is the part of a Plaid transaction the plugin uses.
type Txn struct {
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

// Currency is the transaction's currency code, whichever kind Plaid set.
func (t *Txn) Currency() string {
	if t.ISOCurrencyCode != "" {
		return t.ISOCurrencyCode
	}
	return t.UnofficialCurrency
}

// Change is one entry of a sync page: an added or modified transaction, or a
// removed transaction id.
type Change struct {
	Kind ChangeKind
	Txn  Txn
}

// Point is what was written (or will be) to plaid_transaction for one point
// identity: measurement + tags + timestamp. A dead point is a tombstone: the
// identity is written again with amount 0 and removed=true.
type Point struct {
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
	// Investment is set on a plaid_investment_transaction point, whose
	// TransactionID is the investment_transaction_id (investments.go).
	Investment *Investment
}

type encoder struct{ buf []byte }

func (e *encoder) byte(b byte)      { e.buf = append(e.buf, b) }
func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) int64(v int64)    { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }
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

// seal appends the checksum of a version 2 record.
func (e *encoder) seal() []byte {
	return binary.BigEndian.AppendUint32(e.buf, crc32.Checksum(e.buf, castagnoli))
}

type decoder struct {
	buf []byte
	err error
}

// openRecord checks a record's version and checksum and returns a decoder for its
// body.
func openRecord(b []byte) decoder {
	if len(b) < 1 {
		return decoder{err: ErrCorrupt}
	}
	switch b[0] {
	case recordV1:
		return decoder{buf: b[1:]}
	case recordV2:
		if len(b) < 5 {
			return decoder{err: ErrCorrupt}
		}
		body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
		if crc32.Checksum(body, castagnoli) != sum {
			return decoder{err: ErrCorrupt}
		}
		return decoder{buf: body[1:]}
	}
	return decoder{err: ErrCorrupt}
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = ErrCorrupt
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

// done reports the decoder's error, or ErrCorrupt when bytes are left over.
func (d *decoder) done() error {
	if d.err == nil && len(d.buf) != 0 {
		return ErrCorrupt
	}
	return d.err
}

func encodeChanges(changes []Change) []byte {
	e := encoder{buf: make([]byte, 0, 64+len(changes)*160)}
	e.byte(recordV2)
	e.uvarint(uint64(len(changes)))
	for i := range changes {
		c := &changes[i]
		t := &c.Txn
		e.byte(byte(c.Kind))
		e.string(t.TransactionID)
		e.string(t.AccountID)
		if c.Kind == Removed {
			continue
		}
		e.float(t.Amount)
		e.string(t.Currency())
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
	return e.seal()
}

func decodeChanges(b []byte) ([]Change, error) {
	d := openRecord(b)
	n := d.uvarint()
	if d.err != nil || n > uint64(len(b)) {
		return nil, ErrCorrupt
	}
	changes := make([]Change, n)
	for i := range changes {
		c := &changes[i]
		t := &c.Txn
		c.Kind = ChangeKind(d.byte())
		t.TransactionID = d.string()
		t.AccountID = d.string()
		switch c.Kind {
		case Removed:
			continue
		case Added, Modified:
		default:
			return nil, ErrCorrupt
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
	if err := d.done(); err != nil {
		return nil, err
	}
	return changes, nil
}

func encodePoint(p *Point) []byte {
	return appendPoint(make([]byte, 0, 196), p)
}

// appendPoint appends p's record to buf.
func appendPoint(buf []byte, p *Point) []byte {
	start := len(buf)
	e := encoder{buf: buf}
	e.byte(recordV2)
	var flags byte
	if p.Live {
		flags |= 1
	}
	if p.Pending {
		flags |= 2
	}
	if p.Investment != nil {
		flags |= flagInvestment
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
	if p.Investment != nil {
		p.Investment.encode(&e)
	}
	return binary.BigEndian.AppendUint32(e.buf, crc32.Checksum(e.buf[start:], castagnoli))
}

func decodePoint(b []byte) (Point, error) {
	d := openRecord(b)
	var p Point
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
	if flags&flagInvestment != 0 {
		p.Investment = decodeInvestment(&d)
	}
	return p, d.done()
}
