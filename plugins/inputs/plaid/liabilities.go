package plaid

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/plaid/plaid-go/v42/plaid"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid-sync/telegraf-plaid/internal/redact"
)

const (
	measurementLiability = "plaid_liability"

	productLiabilities = "liabilities"
	productInvestments = "investments"
)

// due says whether a poll last made at unix (0 = never) is due again.
func due(now time.Time, unix int64, interval time.Duration) bool {
	return unix == 0 || now.Sub(time.Unix(unix, 0)) >= interval
}

// pollLiabilities writes plaid_liability when liabilities_interval is due
// and the item has the Liabilities product.
func (p *Plaid) pollLiabilities(ctx context.Context, api *api, acc telegraf.Accumulator, item configuredItem, meta *ledger.ItemState) {
	p.pollProduct(ctx, acc, item, meta, productPoll{
		endpoint: "/liabilities/get", product: productLiabilities, enabled: p.Liabilities,
		interval: time.Duration(p.LiabilitiesInterval), last: &meta.LiabilitiesAt,
		save: func(m *ledger.ItemState, at int64) { m.LiabilitiesAt = at },
		read: func(ctx context.Context, now time.Time) ([]telegraf.Metric, error) {
			resp, err := api.liabilities(ctx, item.AccessToken)
			if err != nil {
				return nil, err
			}
			return liabilityMetrics(item.Name, &resp, now, p.location), nil
		},
	})
}

// productPoll is a poll of a product Plaid refreshes about daily.
type productPoll struct {
	endpoint string
	product  string // as /item/get lists it
	enabled  bool
	interval time.Duration
	last     *int64 // unix seconds of the last poll, 0 = never
	save     func(m *ledger.ItemState, at int64)
	read     func(ctx context.Context, now time.Time) ([]telegraf.Metric, error)
}

// pollProduct runs a poll when it is on, due and the item has the product.
// A poll that Plaid answered, even with an error that does not pass (the
// item has no such accounts), counts as done; a transient failure is tried
// again at the next gather. Failures are gather errors; the item's sync is
// not failed by them.
//
// The item's products are what /item/get last listed: an item whose
// products are not known yet has none, so Plaid is never asked for a
// product the item may not have.
func (p *Plaid) pollProduct(ctx context.Context, acc telegraf.Accumulator, item configuredItem, meta *ledger.ItemState, pp productPoll) {
	now := p.now()
	if !pp.enabled || !slices.Contains(meta.Products, pp.product) || !due(now, *pp.last, pp.interval) {
		return
	}
	var metrics []telegraf.Metric
	err := p.retry.do(ctx, func(ctx context.Context) error {
		var err error
		metrics, err = pp.read(ctx, now)
		return err
	}, nil)
	if err != nil {
		acc.AddError(fmt.Errorf("[%s] %s: %s", item.Name, pp.endpoint, redact.Text(err.Error())))
		if pe, ok := plaidapi.AsError(err); !ok || pe.Retryable() {
			return
		}
	}
	for _, m := range metrics {
		acc.AddMetric(m)
	}
	*pp.last = now.Unix()
	p.saveHealth(item.Name, func(m *ledger.ItemState) { pp.save(m, now.Unix()) })
}

func (a *api) liabilities(ctx context.Context, accessToken string) (plaid.LiabilitiesGetResponse, error) {
	resp, httpResp, err := a.client.PlaidApi.LiabilitiesGet(ctx).LiabilitiesGetRequest(*plaid.NewLiabilitiesGetRequest(accessToken)).Execute()
	if err != nil {
		return resp, plaidapi.FromPlaidGo(err, httpResp)
	}
	return resp, nil
}

// liabilityMetrics is one plaid_liability point per liability account, with
// the fields Plaid gave (null ones left out).
func liabilityMetrics(item string, resp *plaid.LiabilitiesGetResponse, now time.Time, loc *time.Location) []telegraf.Metric {
	accounts := make(map[string]*plaid.AccountBase, len(resp.Accounts))
	for i := range resp.Accounts {
		accounts[resp.Accounts[i].AccountId] = &resp.Accounts[i]
	}
	today := now.In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	newPoint := func(accountID, kind string) *liabilityPoint {
		m := metric.New(measurementLiability, nil, nil, now)
		m.AddTag("item", cleanTag(item))
		m.AddTag("account_id", cleanTag(accountID))
		m.AddTag("kind", kind)
		name, currency := "", ""
		if a := accounts[accountID]; a != nil {
			name = a.Name
			currency = a.Balances.GetIsoCurrencyCode()
			if currency == "" {
				currency = a.Balances.GetUnofficialCurrencyCode()
			}
		}
		m.AddTag("account", cleanTag(name))
		m.AddTag("currency", cleanTag(currency))
		return &liabilityPoint{m: m, today: today}
	}
	var out []telegraf.Metric
	lb := resp.Liabilities
	for _, c := range lb.GetCredit() {
		lp := newPoint(c.GetAccountId(), "credit")
		for _, apr := range c.Aprs {
			lp.m.AddField("apr_"+strings.TrimSuffix(apr.AprType, "_apr"), apr.AprPercentage)
		}
		lp.float("last_statement_balance", c.LastStatementBalance)
		lp.date("last_statement_issue_date", c.LastStatementIssueDate)
		lp.float("minimum_payment_amount", c.MinimumPaymentAmount)
		lp.dueDate(c.NextPaymentDueDate)
		lp.boolean("is_overdue", c.IsOverdue)
		lp.float("last_payment_amount", c.LastPaymentAmount)
		lp.date("last_payment_date", c.LastPaymentDate)
		out = append(out, lp.m)
	}
	for _, s := range lb.GetStudent() {
		lp := newPoint(s.GetAccountId(), "student")
		lp.m.AddField("interest_rate", s.InterestRatePercentage)
		lp.float("last_statement_balance", s.LastStatementBalance)
		lp.date("last_statement_issue_date", s.LastStatementIssueDate)
		lp.float("minimum_payment_amount", s.MinimumPaymentAmount)
		lp.dueDate(s.NextPaymentDueDate)
		lp.boolean("is_overdue", s.IsOverdue)
		lp.float("last_payment_amount", s.LastPaymentAmount)
		lp.date("last_payment_date", s.LastPaymentDate)
		lp.float("outstanding_interest_amount", s.OutstandingInterestAmount)
		lp.date("expected_payoff_date", s.ExpectedPayoffDate)
		lp.float("origination_principal_amount", s.OriginationPrincipalAmount)
		lp.float("ytd_interest_paid", s.YtdInterestPaid)
		lp.float("ytd_principal_paid", s.YtdPrincipalPaid)
		out = append(out, lp.m)
	}
	for _, mo := range lb.GetMortgage() {
		lp := newPoint(mo.AccountId, "mortgage")
		lp.float("interest_rate", mo.InterestRate.Percentage)
		// A mortgage's minimum is its monthly payment; it is overdue while
		// an amount is past due. Both keep alerts the same for every kind.
		lp.float("minimum_payment_amount", mo.NextMonthlyPayment)
		lp.dueDate(mo.NextPaymentDueDate)
		if v, ok := mo.GetPastDueAmountOk(); ok && v != nil {
			lp.m.AddField("past_due_amount", *v)
			lp.m.AddField("is_overdue", *v > 0)
		}
		lp.float("current_late_fee", mo.CurrentLateFee)
		lp.float("last_payment_amount", mo.LastPaymentAmount)
		lp.date("last_payment_date", mo.LastPaymentDate)
		lp.float("escrow_balance", mo.EscrowBalance)
		lp.date("maturity_date", mo.MaturityDate)
		lp.float("origination_principal_amount", mo.OriginationPrincipalAmount)
		lp.float("ytd_interest_paid", mo.YtdInterestPaid)
		lp.float("ytd_principal_paid", mo.YtdPrincipalPaid)
		out = append(out, lp.m)
	}
	return out
}

// liabilityPoint adds Plaid's nullable values as fields, leaving nulls out.
type liabilityPoint struct {
	m     telegraf.Metric
	today time.Time // the date in the plugin's time zone, at midnight UTC
}

func (lp *liabilityPoint) float(key string, v plaid.NullableFloat64) {
	if x := v.Get(); v.IsSet() && x != nil {
		lp.m.AddField(key, *x)
	}
}

func (lp *liabilityPoint) boolean(key string, v plaid.NullableBool) {
	if x := v.Get(); v.IsSet() && x != nil {
		lp.m.AddField(key, *x)
	}
}

func (lp *liabilityPoint) date(key string, v plaid.NullableString) {
	if x := v.Get(); v.IsSet() && x != nil && *x != "" {
		lp.m.AddField(key, cleanText(*x))
	}
}

// dueDate adds next_payment_due_date and days_until_due: calendar days
// from today in the plugin's time zone, negative once the date passed.
func (lp *liabilityPoint) dueDate(v plaid.NullableString) {
	lp.date("next_payment_due_date", v)
	x := v.Get()
	if x == nil {
		return
	}
	d, err := time.Parse(time.DateOnly, *x)
	if err != nil {
		return
	}
	lp.m.AddField("days_until_due", int64(d.Sub(lp.today).Hours()/24))
}
