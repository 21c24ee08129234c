package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMeasurementAndItem(t *testing.T) {
	for _, tc := range []struct{ line, measurement, item string }{
		{`plaid_item,institution=Chase,item=Test\ Chase,item_id=x api_calls=1i 1`, "plaid_item", "Test Chase"},
		{`plaid_transaction,account=A\,B,item=New\ Bank\ 1 amount=1 1`, "plaid_transaction", "New Bank 1"},
		{`plaid_balance,item=Amex current=2 1`, "plaid_balance", "Amex"},
		{`weather temp=1 1`, "weather", ""},
	} {
		m, item := measurementAndItem([]byte(tc.line))
		require.Equal(t, tc.measurement, m, tc.line)
		require.Equal(t, tc.item, item, tc.line)
	}
}

func TestIntField(t *testing.T) {
	line := `plaid_item,item=Test\ Chase\ api_calls=9i accounts=3i,api_calls=4i,status="ok" 1`
	n, ok := intField(line, "api_calls")
	require.True(t, ok)
	require.EqualValues(t, 4, n, "the field, not the tag value that looks like one")
	n, ok = intField(`plaid_item,item=A api_calls=12i 1`, "api_calls")
	require.True(t, ok)
	require.EqualValues(t, 12, n)
	_, ok = intField(`plaid_item,item=A accounts=3i 1`, "api_calls")
	require.False(t, ok)
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{5, 1, 3, 2, 4})
	require.Equal(t, Summary{Median: 3, Min: 1, Max: 5, N: 5}, s)
	require.Equal(t, 2.5, Summarize([]float64{4, 1, 2, 3}).Median)
	require.Equal(t, "3.0 µs (1.0 µs-5.0 µs, 5 runs)", s.Format(micros))
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
BenchmarkNeededFieldsDecodeAndLine-2   	     128	   9057466 ns/op	  80.18 MB/s	     18115 ns/txn	       500.0 txns/op	  542052 B/op	   13126 allocs/op
BenchmarkNeededFieldsDecodeAndLine-2   	     120	   9872902 ns/op	  73.55 MB/s	     19746 ns/txn	       500.0 txns/op	  542669 B/op	   13126 allocs/op
BenchmarkNeededFieldsDecodeAndLine-2   	     100	  10722613 ns/op	  67.73 MB/s	     21445 ns/txn	       500.0 txns/op	  544643 B/op	   13126 allocs/op
--- FAIL: BenchmarkOther
ok  	github.com/plaid-sync/telegraf-plaid/bench	24.291s
`
	g, err := ParseGoBench(strings.NewReader(out))
	require.NoError(t, err)
	s, ok := g.Micros("BenchmarkNeededFieldsDecodeAndLine", "ns/txn")
	require.True(t, ok)
	require.InDelta(t, 19.746, s.Median, 1e-9)
	require.Equal(t, 3, s.N)
	_, ok = g.Micros("BenchmarkOther", "ns/txn")
	require.False(t, ok)
}
