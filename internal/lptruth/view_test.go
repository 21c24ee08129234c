package lptruth

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

const written = `plaid_transaction,account=Checking,account_id=a1,category=FOOD_AND_DRINK,currency=USD,item=Test\ Chase amount=12.5,removed=false,transaction_id="t1" 1700000000000000001
plaid_transaction,account=Checking,account_id=a1,category=INCOME,currency=USD,item=Test\ Chase amount=-100.25,removed=false,transaction_id="t2" 1700000000000000002
plaid_transaction,account=Checking,account_id=a1,category=FOOD_AND_DRINK,currency=USD,item=Test\ Chase amount=7,removed=false,transaction_id="t3" 1700000000000000003
plaid_transaction,account=Checking,account_id=a1,category=FOOD_AND_DRINK,currency=USD,item=Test\ Chase amount=0,removed=true,transaction_id="t3" 1700000000000000003
`

func truth(count int, sumCents int64, food plaidemu.CategoryTruth) plaidemu.GroundTruth {
	return plaidemu.GroundTruth{Items: []plaidemu.ItemTruth{{
		Name: "Test Chase",
		Accounts: []plaidemu.AccountTruth{{
			AccountID: "a1", Name: "Checking", Count: count, SumCents: sumCents,
			Categories: map[string]plaidemu.CategoryTruth{
				"FOOD_AND_DRINK": food,
				"INCOME":         {Count: 1, SumCents: -10025},
			},
		}},
	}}}
}

func TestCheckFoldsPointsAsInfluxDBStoresThem(t *testing.T) {
	v := NewView()
	require.NoError(t, v.AddLineProtocol(strings.NewReader(written)))
	require.Equal(t, 4, v.Lines())
	require.Equal(t, 3, v.Len(), "the tombstone overwrote t3's point")

	// t3 was removed: two live transactions summing 12.50 - 100.25.
	require.NoError(t, v.Check(truth(2, -8775, plaidemu.CategoryTruth{Count: 1, SumCents: 1250})))

	err := v.Check(truth(3, -8775, plaidemu.CategoryTruth{Count: 1, SumCents: 1250}))
	require.ErrorContains(t, err, "2 live transactions, Plaid holds 3")
	err = v.Check(truth(2, -8075, plaidemu.CategoryTruth{Count: 1, SumCents: 1250}))
	require.ErrorContains(t, err, "sum(amount) -87.75, Plaid holds -80.75")
	err = v.Check(truth(2, -8775, plaidemu.CategoryTruth{Count: 2, SumCents: 1950}))
	require.ErrorContains(t, err, "category FOOD_AND_DRINK")
	require.ErrorContains(t, v.Check(plaidemu.GroundTruth{}), "no transactions to compare")
}

func TestLostTombstoneIsCaught(t *testing.T) {
	v := NewView()
	withoutTombstone := strings.Join(strings.Split(written, "\n")[:3], "\n") + "\n"
	require.NoError(t, v.AddLineProtocol(strings.NewReader(withoutTombstone)))
	require.Error(t, v.Check(truth(2, -8775, plaidemu.CategoryTruth{Count: 1, SumCents: 1250})))
}

func TestMalformedLineProtocolIsAnError(t *testing.T) {
	require.Error(t, NewView().AddLineProtocol(strings.NewReader("plaid_transaction,item=x amount=\n")))
	require.ErrorContains(t, NewView().AddLineProtocol(strings.NewReader("plaid_item status=\"ok\"\n")), "without a timestamp")
}
