package verify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A point's identity is its timestamp and the tags that have a value, in
// any order: an empty tag is no tag in InfluxDB.
func TestIdentityIsTagSetAndTime(t *testing.T) {
	a := identity(5, map[string]string{"item": "Chase", "account": "Checking", "host": ""})
	b := identity(5, map[string]string{"account": "Checking", "item": "Chase"})
	require.Equal(t, a, b)
	require.NotEqual(t, a, identity(6, map[string]string{"account": "Checking", "item": "Chase"}))
	require.NotEqual(t, a, identity(5, map[string]string{"account": "Checking", "item": "Chase", "host": "vm"}))
}

func TestTombstoneOfAnOrphanKeepsItsTags(t *testing.T) {
	s := &scan{m: measurements[0]}
	m := s.tombstone(map[string]string{"item": "Test Wells", "account_id": "by-hand", "host": "", "category": "GIFTS"},
		&influxPoint{time: 1700000000000000001, amount: 42.5, txID: "written-by-hand"})
	line, err := AppendLine(nil, m)
	require.NoError(t, err)
	require.Equal(t, "plaid_transaction,account_id=by-hand,category=GIFTS,item=Test\\ Wells amount=0,removed=true,transaction_id=\"written-by-hand\" 1700000000000000001\n", string(line))
}

// An investment transaction's orphan is retracted with every amount it
// carries set to 0, under its own measurement and id field.
func TestTombstoneOfAnInvestmentOrphan(t *testing.T) {
	s := &scan{m: measurements[1]}
	m := s.tombstone(map[string]string{"item": "Broker", "account_id": "ira", "type": "buy", "subtype": "buy", "currency": "USD"},
		&influxPoint{time: 1700000000000000001, amount: 570.24, txID: "inv1"})
	line, err := AppendLine(nil, m)
	require.NoError(t, err)
	require.Equal(t, `plaid_investment_transaction,account_id=ira,currency=USD,item=Broker,subtype=buy,type=buy amount=0,quantity=0,price=0,fees=0,removed=true,investment_transaction_id="inv1" 1700000000000000001`+"\n", string(line))
}

func TestParsePointReadsInfluxDBsColumns(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`["time","amount","pending","removed","transaction_id"] [1700000000000000001, -12.34, true, false, "tx1"]`))
	dec.UseNumber()
	var cols []string
	var row []any
	require.NoError(t, dec.Decode(&cols))
	require.NoError(t, dec.Decode(&row))
	ip, err := parsePoint(columns(cols), row, "transaction_id")
	require.NoError(t, err)
	require.Equal(t, influxPoint{time: 1700000000000000001, amount: -12.34, pending: true, txID: "tx1"}, ip)
	_, err = parsePoint(columns([]string{"amount"}), []any{json.Number("1")}, "transaction_id")
	require.Error(t, err, "a row without a time")
}

func TestTheTableShowsBothSidesWhereTheyDiffer(t *testing.T) {
	r := &Report{Database: "plaid", Items: 1, Accounts: []*Account{{
		Item: "Chase", AccountID: "acc1", Account: "Checking",
		Ledger:   Totals{Live: 3, IDs: 3, SumCents: -1050, Pending: 1},
		InfluxDB: Totals{Live: 2, IDs: 2, SumCents: -50, Pending: 1},
		Missing:  1, Balance: &Balance{Current: 12.5, Time: time.Unix(0, 0)},
		Differences: []Difference{{Kind: "missing", Time: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), TransactionID: "tx9", Ledger: "amount -10.00"}},
	}}}
	var b bytes.Buffer
	r.WriteText(&b)
	out := b.String()
	require.Contains(t, out, "Checking (acc1)")
	require.Contains(t, out, "3 ≠ 2")
	require.Contains(t, out, "-10.50 ≠ -0.50")
	require.Contains(t, out, "missing  Chase / acc1  2024-03-05  tx9  ledger: amount -10.00")
	require.Contains(t, out, `InfluxDB "plaid" differs from the ledger in 1 of 1 accounts: 1 missing, 0 changed, 0 orphan points.`)
	require.False(t, r.Accounts[0].Agrees())
}
