package bench

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// The bank of these cases holds t2 (5.00), t3 (10.50, the posted form of
// the pending t1) and t4 (2.00).
var (
	tinyTruth   = Truth{Count: 3, SumCents: 1750}
	tinyBankIDs = map[string]bool{"t2": true, "t3": true, "t4": true}
)

func TestDIYCorrectnessIsMeasuredAgainstTheBank(t *testing.T) {
	// Two gathers of a cursorless sync as the DIY Telegraf writes them: the
	// first sees pending t1 and t2, the second t2 again and t3, which
	// replaced t1 at the bank; t4 is on a page it never asks for.
	lp := []byte(`plaid_transaction,account_id=a,item=Bank,transaction_id=t1 amount=10,pending=true 1000000000
plaid_transaction,account_id=a,item=Bank,transaction_id=t2 amount=5,pending=false 1000000000
plaid_transaction,account_id=a,item=Bank,transaction_id=t2 amount=5,pending=false 1000000000
plaid_transaction,account_id=a,item=Bank,transaction_id=t3 amount=10.5,pending=false 2000000000
plaid_balance,account_id=a,item=Bank balances_current=100 3000000000
`)
	c, err := checkOutput(lp, tinyTruth, tinyBankIDs)
	require.NoError(t, err)
	require.Equal(t, Correctness{
		TruthCount: 3, TruthSumCents: 1750,
		Held: 3, HeldSumCents: 2550, // t2 once, t1 kept for lack of a tombstone, t3
		Lines: 4, LinesSumCents: 3050,
		Stale: 1, Missing: 1,
	}, c)
	require.EqualValues(t, 800, c.OffCents())
	require.EqualValues(t, 1300, c.LinesOffCents())
	require.False(t, c.Exact())
}

func TestPluginCorrectnessCountsTombstonesOut(t *testing.T) {
	// plaid-sync's points: t1, then its tombstone under the same identity.
	lp := []byte(`plaid_transaction,account_id=a,category=FOOD,currency=USD,item=Bank amount=10,removed=false,transaction_id="t1" 1000000001
plaid_transaction,account_id=a,category=FOOD,currency=USD,item=Bank amount=5,removed=false,transaction_id="t2" 1000000002
plaid_transaction,account_id=a,category=FOOD,currency=USD,item=Bank amount=0,removed=true,transaction_id="t1" 1000000001
plaid_transaction,account_id=a,category=FOOD,currency=USD,item=Bank amount=10.5,removed=false,transaction_id="t3" 2000000003
plaid_transaction,account_id=a,category=FOOD,currency=USD,item=Bank amount=2,removed=false,transaction_id="t4" 2000000004
`)
	c, err := checkOutput(lp, tinyTruth, tinyBankIDs)
	require.NoError(t, err)
	require.Equal(t, Correctness{
		TruthCount: 3, TruthSumCents: 1750,
		Held: 3, HeldSumCents: 1750,
		Lines: 5, LinesSumCents: 2750,
		Stale: -1, Missing: -1, // no transaction_id tag to compare
	}, c)
	require.True(t, c.Exact())
}

func TestBankTransactionIDsAreTheGroundTruth(t *testing.T) {
	// 60 days at 12 a day: more than one page of 500 per item.
	emu, err := plaidemu.New(plaidemu.Config{Seed: 3, Items: 2, HistoryDays: 60, TxPerDay: 12, ClientID: ClientID, Secret: Secret})
	require.NoError(t, err)
	url, err := emu.Serve("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, emu.Close()) })
	_, err = emu.Advance(3) // pending transactions post, others are corrected
	require.NoError(t, err)
	client := NewRefetchClient(url)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ids := map[string]bool{}
	for _, it := range emu.Items() {
		got, err := bankTransactionIDs(ctx, client, it.AccessToken)
		require.NoError(t, err)
		require.Greater(t, len(got), diyPageSize, "%s: the history must need a second page", it.Name)
		for id := range got {
			ids[id] = true
		}
	}
	require.Len(t, ids, emu.GroundTruth().Count)
}
