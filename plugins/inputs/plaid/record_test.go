package plaid

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestChangesRoundTrip(t *testing.T) {
	posted := txn{
		TransactionID: "tx1", AccountID: "acc1", Amount: -12.34, ISOCurrencyCode: "EUR",
		Date: "2024-03-05", AuthorizedDate: "2024-03-04", Name: `Joe's "Pizza", \ = 🍕`,
		MerchantName: "東京ラーメン", PaymentChannel: "in store", Pending: false, PendingTransactionID: "tx0",
	}
	posted.Category.Primary, posted.Category.Detailed = "FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT"
	crypto := txn{TransactionID: "tx2", AccountID: "acc2", Amount: 0.5, UnofficialCurrency: "BTC", Date: "2024-03-06", Pending: true}
	in := []change{
		{Kind: changeAdded, Txn: posted},
		{Kind: changeModified, Txn: crypto},
		{Kind: changeRemoved, Txn: txn{TransactionID: "tx3", AccountID: "acc1"}},
	}
	out, err := decodeChanges(encodeChanges(in))
	require.NoError(t, err)
	// The currency is stored as one code, whichever Plaid set.
	in[1].Txn.ISOCurrencyCode, in[1].Txn.UnofficialCurrency = "BTC", ""
	require.Equal(t, in, out)
}

func TestCorruptRecordsAreRejected(t *testing.T) {
	p := point{Live: true, Time: 42, Amount: 1.5, TransactionID: "tx", Account: "Checking"}
	raw := encodePoint(&p)
	for cut := 0; cut < len(raw); cut++ {
		_, err := decodePoint(raw[:cut])
		require.ErrorIs(t, err, errCorruptRecord, "a record cut at %d bytes decoded", cut)
	}
	back, err := decodePoint(raw)
	require.NoError(t, err)
	require.Equal(t, p, back)

	changes := encodeChanges([]change{{Kind: changeAdded, Txn: txn{TransactionID: "a", Date: "2024-01-01"}}})
	for cut := 0; cut < len(changes); cut++ {
		_, err := decodeChanges(changes[:cut])
		require.Error(t, err, "a page cut at %d bytes decoded", cut)
	}
}

func TestPointTimeIsTheDateInTheZonePlusAStableOffset(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	ix := indexer{item: "Test Chase", location: ny}
	tx := txn{TransactionID: "abc", AccountID: "acc", Date: "2024-03-10"}
	p, day, err := ix.pointFor(&tx)
	require.NoError(t, err)
	ts := time.Unix(0, p.Time).In(ny)
	require.Equal(t, "2024-03-10 00:00:00", ts.Truncate(time.Second).Format(time.DateTime))
	require.Equal(t, subSecondOffset("abc"), int64(ts.Nanosecond()))
	require.Equal(t, daysSinceEpoch(2024, 3, 10), day)
	require.Equal(t, uncategorized, p.Category)
	require.Equal(t, "acc", p.Account, "an unknown account is named by its id")

	_, _, err = ix.pointFor(&txn{TransactionID: "x", Date: "03/10/2024"})
	require.ErrorContains(t, err, "not YYYY-MM-DD")
}

func TestTagsStayWritable(t *testing.T) {
	cases := map[string]string{
		"Checking":        "Checking",
		"Joint, \"Main\"": "Joint, \"Main\"",
		`ends with \`:     "ends with ",
		"two\nlines":      "two lines",
		"":                "-",
		`\\`:              "-",
	}
	for in, want := range cases {
		require.Equal(t, want, cleanTag(in), "cleanTag(%q)", in)
	}
}

func TestTextStaysOnOneLineInValidUTF8(t *testing.T) {
	cases := map[string]string{
		"Café ☕ 東京":         "Café ☕ 東京",
		"a\nb\tc\x00d\x7fe": "a b c d e",
		"bad \xff byte":     "bad \uFFFD byte",
	}
	for in, want := range cases {
		require.Equal(t, want, cleanText(in), "cleanText(%q)", in)
	}
}

func TestShellQuote(t *testing.T) {
	require.Equal(t, "/etc/telegraf/plaid.ini", shellQuote("/etc/telegraf/plaid.ini"))
	require.Equal(t, "'Test Chase'", shellQuote("Test Chase"))
	require.Equal(t, `'Bob'\''s Bank'`, shellQuote("Bob's Bank"))
}
