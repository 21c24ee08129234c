package ledger

import (
	"encoding/json"
	"fmt"
)

// bucketInvestments holds, per item, the plaid_investment_transaction
// points written: investment_transaction_id -> InvestmentPoint (JSON; a few
// a month per account, far off the hot path).
var bucketInvestments = []byte("investments")

// InvestmentPoint is what was written to plaid_investment_transaction for
// one investment transaction. Its identity is measurement + Tags + Time; a
// dead one was written as a tombstone (amount 0, removed=true) and is kept
// so that it is not written again.
type InvestmentPoint struct {
	Live bool              `json:"live"`
	Time int64             `json:"time"` // unix nanoseconds
	Date string            `json:"date"` // YYYY-MM-DD, for the re-read window
	Tags map[string]string `json:"tags"`
	// Fields are the point's fields but removed, which Live decides.
	Fields map[string]any `json:"fields"`
}

// InvestmentPoints returns the item's investment points by
// investment_transaction_id; none for an item never polled.
func (l *Ledger) InvestmentPoints(item string) (map[string]InvestmentPoint, error) {
	out := map[string]InvestmentPoint{}
	err := l.view(item, func(it *itemTx) error {
		if it.bucket == nil {
			return nil
		}
		b := it.bucket.Bucket(bucketInvestments)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var p InvestmentPoint
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("item %q: investment transaction %q: %w", item, k, ErrCorrupt)
			}
			out[string(k)] = p
			return nil
		})
	})
	return out, err
}

// PutInvestmentPoints records investment points written, by
// investment_transaction_id, in one transaction.
func (l *Ledger) PutInvestmentPoints(item string, points map[string]InvestmentPoint) error {
	if len(points) == 0 {
		return nil
	}
	return l.update(item, func(it *itemTx) error {
		b, err := it.bucket.CreateBucketIfNotExists(bucketInvestments)
		if err != nil {
			return err
		}
		for id, p := range points {
			raw, err := json.Marshal(p)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(id), raw); err != nil {
				return err
			}
		}
		return nil
	})
}
