package ledger

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestChangesRoundTrip(t *testing.T) {
	posted := Txn{
		TransactionID: "tx1", AccountID: "acc1", Amount: -12.34, ISOCurrencyCode: "EUR",
		Date: "2024-03-05", AuthorizedDate: "2024-03-04", Name: `Joe's "Pizza", \ = 🍕`,
		MerchantName: "東京ラーメン", PaymentChannel: "in store", Pending: false, PendingTransactionID: "tx0",
	}
	posted.Category.Primary, posted.Category.Detailed = "FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT"
	crypto := Txn{TransactionID: "tx2", AccountID: "acc2", Amount: 0.5, UnofficialCurrency: "BTC", Date: "2024-03-06", Pending: true}
	in := []Change{
		{Kind: Added, Txn: posted},
		{Kind: Modified, Txn: crypto},
		{Kind: Removed, Txn: Txn{TransactionID: "tx3", AccountID: "acc1"}},
	}
	out, err := decodeChanges(encodeChanges(in))
	require.NoError(t, err)
	// The currency is stored as one code, whichever Plaid set.
	in[1].Txn.ISOCurrencyCode, in[1].Txn.UnofficialCurrency = "BTC", ""
	require.Equal(t, in, out)
}

func TestDamagedRecordsAreRejected(t *testing.T) {
	p := Point{Live: true, Time: 42, Amount: 1.5, TransactionID: "tx", Account: "Checking", Name: "Coffee"}
	raw := encodePoint(&p)
	for cut := 0; cut < len(raw); cut++ {
		_, err := decodePoint(raw[:cut])
		require.ErrorIs(t, err, ErrCorrupt, "a record cut at %d bytes decoded", cut)
	}
	for i := range raw {
		for _, bit := range []byte{0x01, 0x80} {
			damaged := append([]byte(nil), raw...)
			damaged[i] ^= bit
			_, err := decodePoint(damaged)
			require.ErrorIs(t, err, ErrCorrupt, "a record with byte %d flipped (%#x) decoded", i, bit)
		}
	}
	back, err := decodePoint(raw)
	require.NoError(t, err)
	require.Equal(t, p, back)

	changes := encodeChanges([]Change{{Kind: Added, Txn: Txn{TransactionID: "a", Date: "2024-01-01"}}})
	for cut := 0; cut < len(changes); cut++ {
		_, err := decodeChanges(changes[:cut])
		require.Error(t, err, "a page cut at %d bytes decoded", cut)
	}
}

// Records written by earlier versions (no checksum) are still read.
func TestVersion1RecordsAreRead(t *testing.T) {
	p := Point{Live: true, Pending: true, Time: 1700000000123, Amount: -3.25, TransactionID: "tx9", AccountID: "a", Account: "Checking",
		Category: "INCOME", Currency: "USD", Name: "Pay", MerchantName: "Acme", CategoryDetailed: "INCOME_WAGES",
		PaymentChannel: "other", PendingTransactionID: "p1", AuthorizedDate: "2024-01-02"}
	v2 := encodePoint(&p)
	v1 := append([]byte{recordV1}, v2[1:len(v2)-4]...)
	back, err := decodePoint(v1)
	require.NoError(t, err)
	require.Equal(t, p, back)

	c := []Change{{Kind: Added, Txn: Txn{TransactionID: "a", AccountID: "b", Date: "2024-01-01", Name: "n", ISOCurrencyCode: "USD"}}}
	raw := encodeChanges(c)
	old := append([]byte{recordV1}, raw[1:len(raw)-4]...)
	got, err := decodeChanges(old)
	require.NoError(t, err)
	require.Equal(t, c, got)
}
