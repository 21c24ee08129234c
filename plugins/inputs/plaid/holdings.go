package plaid

import (
	"context"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/plaid/plaid-go/v42/plaid"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
)

const measurementHolding = "plaid_holding"

// pollHoldings writes plaid_holding when holdings_interval is due and the
// item has the Investments product.
func (p *Plaid) pollHoldings(ctx context.Context, api *api, acc telegraf.Accumulator, item configuredItem, meta *ledger.ItemState) {
	p.pollProduct(ctx, acc, item, meta, productPoll{
		endpoint: "/investments/holdings/get", product: productInvestments, enabled: p.Holdings,
		interval: time.Duration(p.HoldingsInterval), last: &meta.HoldingsAt,
		save: func(m *ledger.ItemState, at int64) { m.HoldingsAt = at },
		read: func(ctx context.Context, now time.Time) ([]telegraf.Metric, error) {
			resp, err := api.holdings(ctx, item.AccessToken)
			if err != nil {
				return nil, err
			}
			return holdingMetrics(item.Name, &resp, now), nil
		},
	})
}

func (a *api) holdings(ctx context.Context, accessToken string) (plaid.InvestmentsHoldingsGetResponse, error) {
	req := plaid.NewInvestmentsHoldingsGetRequest(accessToken)
	resp, httpResp, err := a.client.PlaidApi.InvestmentsHoldingsGet(ctx).InvestmentsHoldingsGetRequest(*req).Execute()
	if err != nil {
		return resp, plaidapi.FromPlaidGo(err, httpResp)
	}
	return resp, nil
}

// holdingMetrics is one plaid_holding point per account and security.
func holdingMetrics(item string, resp *plaid.InvestmentsHoldingsGetResponse, now time.Time) []telegraf.Metric {
	accounts := make(map[string]string, len(resp.Accounts))
	for _, a := range resp.Accounts {
		accounts[a.AccountId] = a.Name
	}
	securities := make(map[string]*plaid.Security, len(resp.Securities))
	for i := range resp.Securities {
		securities[resp.Securities[i].SecurityId] = &resp.Securities[i]
	}
	out := make([]telegraf.Metric, 0, len(resp.Holdings))
	for i := range resp.Holdings {
		h := &resp.Holdings[i]
		ticker, kind, name := "-", "", ""
		if s := securities[h.SecurityId]; s != nil {
			if t := s.GetTickerSymbol(); t != "" {
				ticker = t
			}
			kind, name = s.GetType(), s.GetName()
		}
		currency := h.GetIsoCurrencyCode()
		if currency == "" {
			currency = h.GetUnofficialCurrencyCode()
		}
		m := metric.New(measurementHolding, nil, nil, now)
		m.AddTag("item", cleanTag(item))
		m.AddTag("account_id", cleanTag(h.AccountId))
		m.AddTag("account", cleanTag(accounts[h.AccountId]))
		m.AddTag("security_id", cleanTag(h.SecurityId))
		m.AddTag("ticker", cleanTag(ticker))
		m.AddTag("security_type", cleanTag(kind))
		m.AddTag("currency", cleanTag(currency))
		m.AddField("quantity", h.Quantity)
		m.AddField("institution_price", h.InstitutionPrice)
		m.AddField("institution_value", h.InstitutionValue)
		if v, ok := h.GetCostBasisOk(); ok && v != nil {
			m.AddField("cost_basis", *v)
		}
		m.AddField("security_name", cleanText(name))
		if v, ok := h.GetInstitutionPriceAsOfOk(); ok && v != nil && *v != "" {
			m.AddField("price_as_of", cleanText(*v))
		}
		out = append(out, m)
	}
	return out
}
