package plaid

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/plaid/plaid-go/v42/plaid"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
)

const (
	measurementInvestmentTxn = "plaid_investment_transaction"

	// investmentHistoryDays is what the first poll of an item reads: Plaid
	// keeps up to 24 months of investment transactions.
	investmentHistoryDays = 730
	// investmentPageSize is the largest page /investments/transactions/get
	// serves; maxInvestmentPages bounds one read.
	investmentPageSize = 500
	maxInvestmentPages = 200
)

// pollInvestmentTransactions writes plaid_investment_transaction when
// investment_transactions_interval is due and the item has the Investments
// product. The endpoint has no cursor: the first poll reads the history,
// later ones read investment_transactions_window again, and the ledger's
// record of what was written tells new, corrected and removed transactions
// apart. A transaction the window no longer lists was removed and gets a
// tombstone; one that changed is written again under the same identity (or,
// when its tags or date changed, the old identity gets a tombstone).
func (p *Plaid) pollInvestmentTransactions(ctx context.Context, api *api, acc telegraf.Accumulator, item configuredItem, meta *ledger.ItemState) {
	p.pollProduct(ctx, acc, item, meta, productPoll{
		endpoint: "/investments/transactions/get", product: productInvestments, enabled: p.InvestmentTransactions,
		interval: time.Duration(p.InvestmentTransactionsInterval), last: &meta.InvestmentTxnsAt,
		save: func(m *ledger.ItemState, at int64) { m.InvestmentTxnsAt = at },
		read: func(ctx context.Context, now time.Time) ([]telegraf.Metric, error) {
			local := now.In(p.location)
			today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
			start := today.AddDate(0, 0, -investmentHistoryDays+1)
			if meta.InvestmentTxnsAt != 0 {
				start = today.Add(-time.Duration(p.InvestmentTransactionsWindow)).Truncate(24 * time.Hour)
			}
			// A day past today in the plugin's zone: an institution east of
			// it may date a trade tomorrow already.
			end := today.AddDate(0, 0, 1)
			txns, accounts, err := api.investmentTransactions(ctx, item.AccessToken, start.Format(time.DateOnly), end.Format(time.DateOnly))
			if err != nil {
				return nil, err
			}
			return p.reconcileInvestments(item.Name, txns, accounts, start.Format(time.DateOnly))
		},
	})
}

// investmentTransactions reads every page of the window.
func (a *api) investmentTransactions(ctx context.Context, accessToken, start, end string) ([]plaid.InvestmentTransaction, map[string]string, error) {
	var out []plaid.InvestmentTransaction
	accounts := map[string]string{}
	for page := 0; page < maxInvestmentPages; page++ {
		req := plaid.NewInvestmentsTransactionsGetRequest(accessToken, start, end)
		opts := plaid.NewInvestmentsTransactionsGetRequestOptions()
		opts.SetCount(investmentPageSize)
		opts.SetOffset(int32(len(out)))
		req.SetOptions(*opts)
		resp, httpResp, err := a.client.PlaidApi.InvestmentsTransactionsGet(ctx).InvestmentsTransactionsGetRequest(*req).Execute()
		if err != nil {
			return nil, nil, plaidapi.FromPlaidGo(err, httpResp)
		}
		for _, acct := range resp.Accounts {
			accounts[acct.AccountId] = acct.Name
		}
		out = append(out, resp.InvestmentTransactions...)
		if len(resp.InvestmentTransactions) == 0 || len(out) >= int(resp.TotalInvestmentTransactions) {
			return out, accounts, nil
		}
	}
	return nil, nil, &plaidapi.Error{Cause: fmt.Errorf("/investments/transactions/get: more than %d pages", maxInvestmentPages)}
}

// reconcileInvestments compares what Plaid listed from windowStart on with
// what was written, records the difference in the ledger and returns the
// points to write.
func (p *Plaid) reconcileInvestments(item string, txns []plaid.InvestmentTransaction, accounts map[string]string, windowStart string) ([]telegraf.Metric, error) {
	written, err := p.ledger.InvestmentPoints(item)
	if err != nil {
		return nil, err
	}
	changed := map[string]ledger.InvestmentPoint{}
	var out []telegraf.Metric
	listed := map[string]bool{}
	for i := range txns {
		t := &txns[i]
		pt, err := p.shapeInvestment(item, t, accounts)
		if err != nil {
			p.Log.Warnf("[%s] investment transaction %s skipped: %v", item, t.InvestmentTransactionId, err)
			continue
		}
		listed[t.InvestmentTransactionId] = true
		old, seen := written[t.InvestmentTransactionId]
		if seen && old.Live && old.Time == pt.Time && maps.Equal(old.Tags, pt.Tags) && fieldsEqual(old.Fields, pt.Fields) {
			continue
		}
		if seen && old.Live && (old.Time != pt.Time || !maps.Equal(old.Tags, pt.Tags)) {
			out = append(out, investmentMetric(tombstone(old)))
		}
		changed[t.InvestmentTransactionId] = pt
		out = append(out, investmentMetric(pt))
	}
	for id, old := range written {
		if old.Live && !listed[id] && old.Date >= windowStart {
			dead := tombstone(old)
			changed[id] = dead
			out = append(out, investmentMetric(dead))
		}
	}
	if err := p.ledger.PutInvestmentPoints(item, changed); err != nil {
		return nil, err
	}
	return out, nil
}

// fieldsEqual compares fields as the ledger keeps them (JSON numbers).
func fieldsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if fmt.Sprint(v) != fmt.Sprint(b[k]) {
			return false
		}
	}
	return true
}

func tombstone(p ledger.InvestmentPoint) ledger.InvestmentPoint {
	dead := ledger.InvestmentPoint{Time: p.Time, Date: p.Date, Tags: p.Tags, Fields: maps.Clone(p.Fields)}
	for _, k := range []string{"amount", "quantity", "price", "fees"} {
		dead.Fields[k] = 0.0
	}
	return dead
}

// shapeInvestment is the point of one investment transaction: at the start
// of its date in the plugin's time zone, spread within that second by id.
func (p *Plaid) shapeInvestment(item string, t *plaid.InvestmentTransaction, accounts map[string]string) (ledger.InvestmentPoint, error) {
	if t.InvestmentTransactionId == "" {
		return ledger.InvestmentPoint{}, fmt.Errorf("no investment_transaction_id")
	}
	d, err := time.ParseInLocation(time.DateOnly, t.Date, p.location)
	if err != nil {
		return ledger.InvestmentPoint{}, fmt.Errorf("date %q: %w", t.Date, err)
	}
	currency := t.GetIsoCurrencyCode()
	if currency == "" {
		currency = t.GetUnofficialCurrencyCode()
	}
	return ledger.InvestmentPoint{
		Live: true,
		Time: d.UnixNano() + subSecondOffset(t.InvestmentTransactionId),
		Date: t.Date,
		Tags: map[string]string{
			"item": cleanTag(item), "account_id": cleanTag(t.AccountId), "account": cleanTag(accounts[t.AccountId]),
			"type": cleanTag(string(t.Type)), "subtype": cleanTag(string(t.Subtype)), "currency": cleanTag(currency),
		},
		Fields: map[string]any{
			"amount": t.Amount, "quantity": t.Quantity, "price": t.Price, "fees": t.GetFees(),
			"security_id": t.GetSecurityId(), "name": cleanText(t.Name), "investment_transaction_id": t.InvestmentTransactionId,
		},
	}, nil
}

func investmentMetric(p ledger.InvestmentPoint) telegraf.Metric {
	m := metric.New(measurementInvestmentTxn, nil, nil, time.Unix(0, p.Time))
	for k, v := range p.Tags {
		m.AddTag(k, v)
	}
	for k, v := range p.Fields {
		m.AddField(k, v)
	}
	m.AddField("removed", !p.Live)
	return m
}
