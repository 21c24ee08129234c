package plaid

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/plaid-sync/telegraf-plaid/internal/itemhealth"
	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid-sync/telegraf-plaid/internal/redact"
)

// Health is what /item/get last said about an item's health.
type Health = ledger.Health

// Statuses of plaid_item that are not Plaid error codes.
const (
	statusOK             = "ok"
	statusIncomplete     = "SYNC_INCOMPLETE"
	statusNetworkError   = "NETWORK_ERROR"
	statusStateError     = "STATE_ERROR"
	statusConfigError    = "CONFIG_ERROR"
	statusUnexpectedHTTP = "UNEXPECTED_RESPONSE"
)

// institutionRefresh is how long an institution's name is trusted.
const institutionRefresh = 30 * 24 * time.Hour

// ItemResult is what one gather did for one item.
type ItemResult struct {
	Name          string
	ItemID        string
	InstitutionID string
	Institution   string
	Added         int // new transactions
	Pending       int // of which pending
	Modified      int
	Removed       int
	Skipped       int // transactions Plaid sent that could not be applied
	Accounts      int
	// Status is "ok" or the Plaid error code (or one of a few codes of the
	// plugin's own: SYNC_INCOMPLETE, NETWORK_ERROR, ...).
	Status string
	Err    error
	// Repair is what the user must do (itemhealth); UpdateCommand is the
	// linktool command that does it, "" when none helps.
	Repair        itemhealth.Repair
	LoginRequired bool // the repair is Link update mode because of an error
	UpdateCommand string
	// ConsentDaysLeft is the days until the item's OAuth consent expires,
	// valid when Health.ConsentExpiration is set.
	ConsentDaysLeft int
	ConsentExpiring bool   // within consent_warning_days (or past)
	BalanceError    string // the last balance poll's failure, "" when it worked
	UpdateStatus    string
	Health          Health
	APICalls        int64
	Duration        time.Duration
}

// Failed reports whether the item did not sync completely in this gather.
func (r *ItemResult) Failed() bool { return r.Status != statusOK }

func (p *Plaid) gatherItem(ctx context.Context, api *api, acc telegraf.TrackingAccumulator, item configuredItem) ItemResult {
	start := time.Now()
	calls := &callCounter{}
	ctx = withCallCounter(ctx, calls)

	res := ItemResult{Name: item.Name, Status: statusOK}
	counts, updateStatus, syncErr := p.syncTransactions(ctx, api, acc, item)
	res.Added, res.Pending, res.Modified, res.Removed = counts.Added, counts.Pending, counts.Modified, counts.Removed
	res.Skipped = len(counts.Skipped)
	res.UpdateStatus = updateStatus

	meta, _, err := p.ledger.Item(item.Name)
	if err != nil && syncErr == nil {
		syncErr = err
	}
	// Health and balances only while the gather has time left: an item cut
	// short by the deadline is reported from what is known.
	if ctx.Err() == nil {
		p.refreshHealth(ctx, api, item, &meta, syncErr)
		if syncErr == nil || isTransient(syncErr) {
			p.pollBalances(ctx, api, acc, item, &meta)
			p.pollLiabilities(ctx, api, acc, item, &meta)
			p.pollHoldings(ctx, api, acc, item, &meta)
			p.pollInvestmentTransactions(ctx, api, acc, item, &meta)
		}
	}

	res.ItemID, res.InstitutionID, res.Institution = meta.ItemID, meta.InstitutionID, meta.Institution
	res.Accounts = len(meta.Accounts)
	res.Health = meta.Status
	res.Status, res.Err = statusOf(syncErr, meta.Status)
	res.Repair = repairOf(syncErr, meta.Status)
	res.BalanceError = p.balanceError(item.Name)
	if res.Status == statusOK && res.BalanceError != "" {
		// Nothing else is wrong: the balance poll's failure is the item's state.
		res.Status, res.Err = statusOf(p.balanceFailure(item.Name), Health{})
		res.Repair = repairOf(p.balanceFailure(item.Name), Health{})
	}
	res.LoginRequired = res.Repair == itemhealth.Update
	if exp := meta.Status.ConsentExpiration; exp != 0 {
		res.ConsentDaysLeft = itemhealth.ConsentDaysLeft(time.Unix(exp, 0), p.now())
		res.ConsentExpiring = itemhealth.ConsentExpiring(time.Unix(exp, 0), p.now(), p.ConsentWarningDays)
		if res.ConsentExpiring && res.Repair == itemhealth.None {
			res.Repair = itemhealth.Update
		}
	}
	res.UpdateCommand = p.commands().For(res.Repair, item.Name)
	res.APICalls = calls.calls.Load()
	res.Duration = time.Since(start)

	p.report(acc, &res)
	acc.AddMetric(itemMetric(&res, p.now()))
	return res
}

func isTransient(err error) bool {
	if isIncomplete(err) {
		return true
	}
	pe, ok := plaidapi.AsError(err)
	return ok && pe.Retryable()
}

// repairOf is what the user must do about this gather's sync error, or
// else about what /item/get last said. An error without a code Plaid
// classifies (a dropped connection, a 5xx) is waited out when it is
// transient.
func repairOf(syncErr error, st Health) itemhealth.Repair {
	if syncErr == nil {
		return itemhealth.Classify(st.ErrorCode)
	}
	if isIncomplete(syncErr) {
		return itemhealth.Wait
	}
	pe, ok := plaidapi.AsError(syncErr)
	if !ok {
		return itemhealth.None // the plugin's own state: the message says what failed
	}
	if r := itemhealth.Classify(pe.Code); r != itemhealth.None {
		return r
	}
	if pe.Retryable() {
		return itemhealth.Wait
	}
	return itemhealth.None
}

// statusOf names the item's state for plaid_item: this gather's sync error
// first, then what /item/get last said.
func statusOf(syncErr error, st Health) (string, error) {
	if syncErr == nil {
		if st.ErrorCode != "" {
			return st.ErrorCode, fmt.Errorf("%s: %s", st.ErrorCode, st.ErrorMessage)
		}
		return statusOK, nil
	}
	if isIncomplete(syncErr) {
		return statusIncomplete, syncErr
	}
	if pe, ok := plaidapi.AsError(syncErr); ok {
		switch {
		case pe.Code != "":
			return pe.Code, syncErr
		case pe.Status != 0:
			return statusUnexpectedHTTP, syncErr
		default:
			return statusNetworkError, syncErr
		}
	}
	return statusStateError, syncErr
}

// refreshHealth asks /item/get for the item's health when its interval is
// due, or at once when this sync's outcome disagrees with what is known.
func (p *Plaid) refreshHealth(ctx context.Context, api *api, item configuredItem, meta *ledger.ItemState, syncErr error) {
	now := p.now()
	pe, _ := plaidapi.AsError(syncErr)
	refresh := due(now, meta.StatusAt, time.Duration(p.ItemStatusInterval)) ||
		syncErr == nil && meta.Status.ErrorCode != "" ||
		pe != nil && pe.Code != "" && !pe.Retryable() && pe.Code != meta.Status.ErrorCode
	if !refresh {
		return
	}
	var health itemGetResult
	err := p.retry.do(ctx, func(ctx context.Context) error {
		var err error
		health, err = api.itemGet(ctx, item.AccessToken)
		return err
	}, nil)
	if err != nil {
		p.Log.Debugf("[%s] /item/get: %v", item.Name, err)
		return
	}
	meta.StatusAt = now.Unix()
	meta.Status = health.Status
	meta.ItemID = health.ItemID
	meta.Products = health.Products
	if health.InstitutionID != meta.InstitutionID {
		meta.InstitutionID, meta.Institution, meta.InstitutionAt = health.InstitutionID, "", 0
	}
	if health.Institution != "" {
		meta.Institution, meta.InstitutionAt = health.Institution, now.Unix()
	}
	if meta.InstitutionID != "" && (meta.Institution == "" || now.Sub(time.Unix(meta.InstitutionAt, 0)) >= institutionRefresh) {
		if name, err := api.institutionName(ctx, meta.InstitutionID); err == nil {
			meta.Institution, meta.InstitutionAt = name, now.Unix()
		} else {
			p.Log.Debugf("[%s] /institutions/get_by_id: %v", item.Name, err)
		}
	}
	p.saveHealth(item.Name, func(m *ledger.ItemState) {
		m.StatusAt, m.Status, m.ItemID, m.Products = meta.StatusAt, meta.Status, meta.ItemID, meta.Products
		m.InstitutionID, m.Institution, m.InstitutionAt = meta.InstitutionID, meta.Institution, meta.InstitutionAt
	})
}

// saveHealth updates the parts of the item's state that health and balance
// polls own.
func (p *Plaid) saveHealth(item string, set func(*ledger.ItemState)) {
	if err := p.ledger.UpdateItem(item, set); err != nil {
		p.Log.Errorf("[%s] saving item state: %v", item, err)
	}
}

// pollBalances writes plaid_balance when balance_interval is due. A
// realtime poll counts as done even when it fails, so a billed call is never
// made more often than balance_interval.
func (p *Plaid) pollBalances(ctx context.Context, api *api, acc telegraf.Accumulator, item configuredItem, meta *ledger.ItemState) {
	now := p.now()
	if p.Balances == balancesOff || !due(now, meta.BalancesAt, time.Duration(p.BalanceInterval)) {
		return
	}
	realtime := p.Balances == balancesRealtime
	if realtime {
		p.saveHealth(item.Name, func(m *ledger.ItemState) { m.BalancesAt = now.Unix() })
	}
	var balances []accountBalance
	err := p.retry.do(ctx, func(ctx context.Context) error {
		var err error
		balances, err = api.balances(ctx, item.AccessToken, balanceRequest{
			realtime:      realtime,
			institutionID: meta.InstitutionID,
			accounts:      meta.Accounts,
			now:           now,
		})
		return err
	}, nil)
	p.setBalanceFailure(item.Name, err)
	if err != nil {
		p.Log.Warnf("[%s] reading balances: %v", item.Name, err)
		return
	}
	for i := range balances {
		if m := balanceMetric(item.Name, &balances[i], now); m != nil {
			acc.AddMetric(m)
		}
	}
	p.saveHealth(item.Name, func(m *ledger.ItemState) {
		m.BalancesAt = now.Unix()
		if m.Accounts == nil {
			m.Accounts = make(map[string]ledger.Account, len(balances))
		}
		for _, b := range balances {
			m.Accounts[b.AccountID] = b.Info
		}
	})
	meta.BalancesAt = now.Unix()
	if meta.Accounts == nil {
		meta.Accounts = make(map[string]ledger.Account, len(balances))
	}
	for _, b := range balances {
		meta.Accounts[b.AccountID] = b.Info
	}
}

// balanceMetric is one account's balances, or nil when Plaid gave none.
func balanceMetric(item string, b *accountBalance, now time.Time) telegraf.Metric {
	if b.Current == nil && b.Available == nil && b.Limit == nil {
		return nil
	}
	m := metric.New(measurementBalance, nil, nil, now)
	m.AddTag("account", cleanTag(b.Info.Name))
	m.AddTag("account_id", cleanTag(b.AccountID))
	m.AddTag("currency", cleanTag(b.Info.Currency))
	m.AddTag("item", cleanTag(item))
	m.AddTag("mask", cleanTag(b.Info.Mask))
	m.AddTag("subtype", cleanTag(b.Info.Subtype))
	m.AddTag("type", cleanTag(b.Info.Type))
	if b.Current != nil {
		m.AddField("current", *b.Current)
	}
	if b.Available != nil {
		m.AddField("available", *b.Available)
	}
	if b.Limit != nil {
		m.AddField("limit", *b.Limit)
	}
	return m
}

// itemMetric is the item's health for this gather.
func itemMetric(r *ItemResult, now time.Time) telegraf.Metric {
	m := metric.New(measurementItem, nil, nil, now)
	m.AddTag("institution", cleanTag(r.Institution))
	m.AddTag("institution_id", cleanTag(r.InstitutionID))
	m.AddTag("item", cleanTag(r.Name))
	m.AddTag("item_id", cleanTag(r.ItemID))
	errMsg := ""
	if r.Err != nil {
		errMsg = cleanText(redact.Text(r.Err.Error()))
	}
	m.AddField("status", r.Status)
	m.AddField("login_required", r.LoginRequired)
	m.AddField("error_message", errMsg)
	m.AddField("update_command", r.UpdateCommand)
	repair := r.Repair
	if repair == "" {
		repair = itemhealth.None
	}
	m.AddField("repair", string(repair))
	m.AddField("balance_error", cleanText(redact.Text(r.BalanceError)))
	if r.Health.LastSuccessfulUpdate != 0 {
		m.AddField("last_successful_update", r.Health.LastSuccessfulUpdate)
	}
	if r.Health.LastFailedUpdate != 0 {
		m.AddField("last_failed_update", r.Health.LastFailedUpdate)
	}
	if r.Health.ConsentExpiration != 0 {
		m.AddField("consent_expiration", r.Health.ConsentExpiration)
		m.AddField("consent_days_left", int64(r.ConsentDaysLeft))
	}
	m.AddField("update_status", r.UpdateStatus)
	m.AddField("added", int64(r.Added))
	m.AddField("modified", int64(r.Modified))
	m.AddField("removed", int64(r.Removed))
	m.AddField("skipped", int64(r.Skipped))
	m.AddField("accounts", int64(r.Accounts))
	m.AddField("api_calls", r.APICalls)
	m.AddField("sync_seconds", r.Duration.Seconds())
	return m
}

// report tells Telegraf once per gather about an item that failed, as a
// gather error (Telegraf counts those); a sync cut short by the deadline is
// a warning and one cut short by a stop is news, since both resume.
//
// Each message names the repair (plaid_item's repair field) and, when one
// helps, the command.
func (p *Plaid) report(acc telegraf.Accumulator, r *ItemResult) {
	if !r.Failed() {
		if r.ConsentExpiring {
			p.Log.Warnf("[%s] the bank's consent for Plaid expires %s (consent_days_left %d); repair: %s; run: %s",
				r.Name, consentWhen(r.Health.ConsentExpiration), r.ConsentDaysLeft, r.Repair, r.UpdateCommand)
		}
		return
	}
	msg := r.Status
	if r.Err != nil {
		msg = r.Err.Error()
	}
	switch {
	case errors.Is(r.Err, errSyncStopped):
		p.Log.Infof("[%s] %s", r.Name, msg)
	case r.Status == statusIncomplete:
		p.Log.Warnf("[%s] %s", r.Name, msg)
	case r.UpdateCommand != "":
		acc.AddError(fmt.Errorf("[%s] %s; repair: %s (%s); run: %s", r.Name, msg, r.Repair, r.Repair.Describe(), r.UpdateCommand))
	case r.Repair == itemhealth.Wait:
		acc.AddError(fmt.Errorf("[%s] %s; repair: wait (the next gather tries again)", r.Name, msg))
	case r.Repair == itemhealth.Config:
		acc.AddError(fmt.Errorf("[%s] %s; repair: config (%s)", r.Name, msg, r.Repair.Describe()))
	default:
		acc.AddError(fmt.Errorf("[%s] %s", r.Name, msg))
	}
}

func consentWhen(unix int64) string {
	return "on " + time.Unix(unix, 0).UTC().Format("2006-01-02 15:04 UTC")
}

// commands renders the linktool commands the plugin prints.
func (p *Plaid) commands() itemhealth.Commands {
	return itemhealth.Commands{Linktool: p.Linktool, File: p.AccountsFile}
}

// balanceError is the message of the item's last failed balance poll, ""
// when the last poll worked. It is kept until the next poll, which
// balance_interval may put several gathers away.
func (p *Plaid) balanceError(item string) string {
	if err := p.balanceFailure(item); err != nil {
		return err.Error()
	}
	return ""
}

func (p *Plaid) balanceFailure(item string) error {
	p.balanceMu.Lock()
	defer p.balanceMu.Unlock()
	return p.balanceErrs[item]
}

func (p *Plaid) setBalanceFailure(item string, err error) {
	p.balanceMu.Lock()
	defer p.balanceMu.Unlock()
	if err == nil {
		delete(p.balanceErrs, item)
		return
	}
	if p.balanceErrs == nil {
		p.balanceErrs = map[string]error{}
	}
	p.balanceErrs[item] = err
}

// reportSkipped writes a plaid_item point for each section of accounts_file
// that is not synced, so that dashboards and alerts see it like a bank that
// fails.
func (p *Plaid) reportSkipped(acc telegraf.Accumulator) []ItemResult {
	var results []ItemResult
	for _, s := range p.accounts.settings.Skipped {
		r := ItemResult{Name: s.Section, Status: statusConfigError, Err: errors.New(s.String()),
			Repair: itemhealth.Link, UpdateCommand: p.commands().Link(s.Section)}
		acc.AddMetric(itemMetric(&r, p.now()))
		results = append(results, r)
	}
	return results
}
