package plaid

import (
	"context"
	"fmt"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/plaid/plaid-go/v42/plaid"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
)

const (
	measurementInvestmentTxn = ledger.InvestmentMeasurement

	// investmentHistoryDays is what a full read asks for: Plaid keeps up to
	// 24 months of investment transactions.
	investmentHistoryDays = 730
	// investmentPageSize is the largest page /investments/transactions/get
	// serves; maxInvestmentPages bounds one read.
	investmentPageSize = 500
	maxInvestmentPages = 200
)

// pollInvestmentTransactions writes plaid_investment_transaction when
// investment_transactions_interval is due and the item has the Investments
// product. The endpoint has no cursor: the first poll reads the history,
// later ones read investment_transactions_window again, and once every
// investment_transactions_full_reread a poll reads the whole history Plaid
// keeps, so that removals older than the window are found too. The ledger
// tells new, corrected and removed transactions apart and writes their
// points through the outbox like transaction points: a transaction the
// range read no longer lists was removed and gets a tombstone; one that
// changed is written again under the same identity (or, when its tags or
// date changed, the old identity gets a tombstone).
func (p *Plaid) pollInvestmentTransactions(ctx context.Context, api *api, acc telegraf.TrackingAccumulator, item configuredItem, meta *ledger.ItemState) {
	var full bool
	p.pollProduct(ctx, acc, item, meta, productPoll{
		endpoint: "/investments/transactions/get", product: productInvestments, enabled: p.InvestmentTransactions,
		interval: time.Duration(p.InvestmentTransactionsInterval), last: &meta.InvestmentTxnsAt,
		save: func(m *ledger.ItemState, at int64) {
			m.InvestmentTxnsAt = at
			if full {
				m.InvestmentRereadAt, meta.InvestmentRereadAt = at, at
			}
		},
		read: func(ctx context.Context, now time.Time) ([]telegraf.Metric, error) {
			var start, end string
			start, end, full = p.investmentRange(now, meta)
			txns, accounts, err := api.investmentTransactions(ctx, item.AccessToken, start, end)
			if err != nil {
				return nil, err
			}
			listed := make([]ledger.ListedInvestment, 0, len(txns))
			for i := range txns {
				pt, err := p.shapeInvestment(&txns[i], accounts)
				if err != nil {
					p.Log.Warnf("[%s] investment transaction %s skipped: %v", item.Name, txns[i].InvestmentTransactionId, err)
					continue
				}
				listed = append(listed, ledger.ListedInvestment{Date: txns[i].Date, Point: pt})
			}
			counts, err := p.ledger.ApplyInvestments(item.Name, listed, start, p.emitter(acc))
			for _, s := range counts.Skipped {
				p.Log.Warnf("[%s] investment transaction %s skipped: %s", item.Name, s.TransactionID, s.Reason)
			}
			if full && meta.InvestmentTxnsAt != 0 {
				p.Log.Debugf("[%s] investment transactions re-read from %s: %d new, %d changed, %d removed", item.Name, start, counts.Added, counts.Modified, counts.Removed)
			}
			return nil, err
		},
	})
}

// investmentRange is the range of dates a poll reads, and whether it is a
// full read: the history Plaid keeps at the first poll and when the full
// re-read is due, investment_transactions_window otherwise. It ends a day
// past today in the plugin's zone: an institution east of it may date a
// trade tomorrow already.
func (p *Plaid) investmentRange(now time.Time, meta *ledger.ItemState) (start, end string, full bool) {
	local := now.In(p.location)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	oldest := today.AddDate(0, 0, -investmentHistoryDays+1)
	reread := time.Duration(p.InvestmentTransactionsFullReread)
	from := oldest
	full = meta.InvestmentTxnsAt == 0 || reread > 0 && due(now, meta.InvestmentRereadAt, reread)
	if !full {
		from = today.Add(-time.Duration(p.InvestmentTransactionsWindow)).Truncate(24 * time.Hour)
		if from.Before(oldest) {
			from = oldest
		}
	}
	return from.Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly), full
}

// investmentTransactions reads every page of the range.
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

// shapeInvestment is the point of one investment transaction: at the start
// of its date in the plugin's time zone, spread within that second by id.
func (p *Plaid) shapeInvestment(t *plaid.InvestmentTransaction, accounts map[string]string) (ledger.Point, error) {
	if t.InvestmentTransactionId == "" {
		return ledger.Point{}, fmt.Errorf("no investment_transaction_id")
	}
	d, err := time.ParseInLocation(time.DateOnly, t.Date, p.location)
	if err != nil {
		return ledger.Point{}, fmt.Errorf("date %q: %w", t.Date, err)
	}
	currency := t.GetIsoCurrencyCode()
	if currency == "" {
		currency = t.GetUnofficialCurrencyCode()
	}
	inv := &ledger.Investment{Type: cleanTag(string(t.Type)), Subtype: cleanTag(string(t.Subtype)),
		SecurityID: t.GetSecurityId(), Quantity: t.Quantity, Price: t.Price}
	if fees := t.Fees.Get(); fees != nil {
		inv.Fees, inv.HasFees = *fees, true
	}
	return ledger.Point{
		Live:          true,
		Time:          d.UnixNano() + subSecondOffset(t.InvestmentTransactionId),
		Amount:        t.Amount,
		TransactionID: t.InvestmentTransactionId,
		AccountID:     cleanTag(t.AccountId),
		Account:       cleanTag(accounts[t.AccountId]),
		Currency:      cleanTag(currency),
		Name:          cleanText(t.Name),
		Investment:    inv,
	}, nil
}

// investmentMetric is a live investment transaction point, or a tombstone
// for a dead identity: amount, quantity, price and fees 0 and removed=true.
// fees is left out when Plaid gave none.
func investmentMetric(item string, p *ledger.Point) telegraf.Metric {
	inv := p.Investment
	m := metric.New(measurementInvestmentTxn, nil, nil, time.Unix(0, p.Time))
	m.AddTag("item", cleanTag(item))
	m.AddTag("account_id", p.AccountID)
	m.AddTag("account", p.Account)
	m.AddTag("type", inv.Type)
	m.AddTag("subtype", inv.Subtype)
	m.AddTag("currency", p.Currency)
	amount, quantity, price, fees := p.Amount, inv.Quantity, inv.Price, inv.Fees
	if !p.Live {
		amount, quantity, price, fees = 0, 0, 0, 0
	}
	m.AddField("amount", amount)
	m.AddField("quantity", quantity)
	m.AddField("price", price)
	if inv.HasFees {
		m.AddField("fees", fees)
	}
	m.AddField("security_id", inv.SecurityID)
	m.AddField("name", p.Name)
	m.AddField("investment_transaction_id", p.TransactionID)
	m.AddField("removed", !p.Live)
	return m
}
