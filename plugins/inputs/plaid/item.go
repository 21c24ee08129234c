package plaid

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
)

// Statuses of plaid_item that are not Plaid error codes.
const (
	statusOK             = "ok"
	statusIncomplete     = "SYNC_INCOMPLETE"
	statusNetworkError   = "NETWORK_ERROR"
	statusStateError     = "STATE_ERROR"
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
	Accounts      int
	// Status is "ok" or the Plaid error code (or one of a few codes of the
	// plugin's own: SYNC_INCOMPLETE, NETWORK_ERROR, ...).
	Status        string
	Err           error
	LoginRequired bool
	UpdateCommand string
	UpdateStatus  string
	Health        Health
	APICalls      int64
	Duration      time.Duration
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
	res.UpdateStatus = updateStatus

	meta, err := p.itemMeta(item.Name)
	if err != nil && syncErr == nil {
		syncErr = err
	}
	// Health and balances only while the gather has time left: an item cut
	// short by the deadline is reported from what is known.
	if ctx.Err() == nil {
		p.refreshHealth(ctx, api, item, &meta, syncErr)
		if syncErr == nil || isTransient(syncErr) {
			p.pollBalances(ctx, api, acc, item, &meta)
		}
	}

	res.ItemID, res.InstitutionID, res.Institution = meta.ItemID, meta.InstitutionID, meta.Institution
	res.Accounts = len(meta.Accounts)
	res.Health = meta.Status
	res.Status, res.Err = statusOf(syncErr, meta.Status)
	if res.Status == "ITEM_LOGIN_REQUIRED" || loginRequired(syncErr) {
		res.LoginRequired = true
		res.UpdateCommand = p.updateCommand(item.Name)
	}
	res.APICalls = calls.calls.Load()
	res.Duration = time.Since(start)

	p.warn(&res)
	acc.AddFields(measurementItem, itemFields(&res), map[string]string{
		"item":           cleanTag(item.Name),
		"item_id":        cleanTag(res.ItemID),
		"institution_id": cleanTag(res.InstitutionID),
		"institution":    cleanTag(res.Institution),
	}, p.now())
	return res
}

func isTransient(err error) bool {
	if errors.Is(err, errSyncIncomplete) {
		return true
	}
	pe, ok := plaidapi.AsError(err)
	return ok && pe.Retryable()
}

func loginRequired(err error) bool {
	pe, ok := plaidapi.AsError(err)
	return ok && pe.LoginRequired()
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
	if errors.Is(syncErr, errSyncIncomplete) {
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
func (p *Plaid) refreshHealth(ctx context.Context, api *api, item configuredItem, meta *itemMeta, syncErr error) {
	now := p.now()
	pe, _ := plaidapi.AsError(syncErr)
	due := meta.StatusAt == 0 ||
		now.Sub(time.Unix(meta.StatusAt, 0)) >= time.Duration(p.ItemStatusInterval) ||
		syncErr == nil && meta.Status.ErrorCode != "" ||
		pe != nil && pe.Code != "" && !pe.Retryable() && pe.Code != meta.Status.ErrorCode
	if !due {
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
	p.saveHealth(item.Name, func(m *itemMeta) {
		m.StatusAt, m.Status, m.ItemID = meta.StatusAt, meta.Status, meta.ItemID
		m.InstitutionID, m.Institution, m.InstitutionAt = meta.InstitutionID, meta.Institution, meta.InstitutionAt
	})
}

// saveHealth updates the parts of the item's meta that health and balance
// polls own, leaving the sync state as the store has it.
func (p *Plaid) saveHealth(item string, set func(*itemMeta)) {
	err := p.store.update(item, func(it *itemTx) error {
		m, err := it.meta()
		if err != nil {
			return err
		}
		set(&m)
		return it.putMeta(&m)
	})
	if err != nil {
		p.Log.Errorf("[%s] saving item state: %v", item, err)
	}
}

// pollBalances writes plaid_balance when balance_interval is due. A
// realtime poll counts as done even when it fails, so a billed call is never
// made more often than balance_interval.
func (p *Plaid) pollBalances(ctx context.Context, api *api, acc telegraf.Accumulator, item configuredItem, meta *itemMeta) {
	now := p.now()
	if p.Balances == balancesOff || meta.BalancesAt != 0 && now.Sub(time.Unix(meta.BalancesAt, 0)) < time.Duration(p.BalanceInterval) {
		return
	}
	realtime := p.Balances == balancesRealtime
	if realtime {
		p.saveHealth(item.Name, func(m *itemMeta) { m.BalancesAt = now.Unix() })
	}
	var balances []accountBalance
	err := p.retry.do(ctx, func(ctx context.Context) error {
		var err error
		balances, err = api.balances(ctx, item.AccessToken, realtime)
		return err
	}, nil)
	if err != nil {
		p.Log.Warnf("[%s] reading balances: %v", item.Name, err)
		return
	}
	for _, b := range balances {
		fields := make(map[string]interface{}, 3)
		if b.Current != nil {
			fields["current"] = *b.Current
		}
		if b.Available != nil {
			fields["available"] = *b.Available
		}
		if b.Limit != nil {
			fields["limit"] = *b.Limit
		}
		if len(fields) == 0 {
			continue
		}
		acc.AddFields(measurementBalance, fields, map[string]string{
			"item":       cleanTag(item.Name),
			"account_id": cleanTag(b.AccountID),
			"account":    cleanTag(b.Info.Name),
			"mask":       cleanTag(b.Info.Mask),
			"type":       cleanTag(b.Info.Type),
			"subtype":    cleanTag(b.Info.Subtype),
			"currency":   cleanTag(b.Info.Currency),
		}, now)
	}
	p.saveHealth(item.Name, func(m *itemMeta) {
		m.BalancesAt = now.Unix()
		if m.Accounts == nil {
			m.Accounts = make(map[string]accountInfo, len(balances))
		}
		for _, b := range balances {
			m.Accounts[b.AccountID] = b.Info
		}
	})
	meta.BalancesAt = now.Unix()
	if meta.Accounts == nil {
		meta.Accounts = make(map[string]accountInfo, len(balances))
	}
	for _, b := range balances {
		meta.Accounts[b.AccountID] = b.Info
	}
}

func itemFields(r *ItemResult) map[string]interface{} {
	errMsg := ""
	if r.Err != nil {
		errMsg = cleanText(r.Err.Error())
	}
	fields := map[string]interface{}{
		"status":         r.Status,
		"login_required": r.LoginRequired,
		"error_message":  errMsg,
		"update_command": r.UpdateCommand,
		"added":          int64(r.Added),
		"modified":       int64(r.Modified),
		"removed":        int64(r.Removed),
		"accounts":       int64(r.Accounts),
		"api_calls":      r.APICalls,
		"sync_seconds":   r.Duration.Seconds(),
		"update_status":  r.UpdateStatus,
	}
	if r.Health.LastSuccessfulUpdate != 0 {
		fields["last_successful_update"] = r.Health.LastSuccessfulUpdate
	}
	if r.Health.LastFailedUpdate != 0 {
		fields["last_failed_update"] = r.Health.LastFailedUpdate
	}
	if r.Health.ConsentExpiration != 0 {
		fields["consent_expiration"] = r.Health.ConsentExpiration
	}
	return fields
}

// warn logs one warning per item problem per gather.
func (p *Plaid) warn(r *ItemResult) {
	if !r.Failed() {
		return
	}
	msg := r.Status
	if r.Err != nil {
		msg = r.Err.Error()
	}
	switch {
	case r.LoginRequired:
		p.Log.Warnf("[%s] %s; run: %s", r.Name, msg, r.UpdateCommand)
	case r.Status == statusIncomplete:
		p.Log.Warnf("[%s] %s", r.Name, msg)
	case isTransient(r.Err):
		p.Log.Warnf("[%s] %s; the next gather tries again", r.Name, msg)
	default:
		p.Log.Warnf("[%s] %s", r.Name, msg)
	}
}

// updateCommand is the linktool command that repairs the item's login.
func (p *Plaid) updateCommand(item string) string {
	return fmt.Sprintf("%s -c %s --update %s", p.Linktool, shellQuote(p.AccountsFile), shellQuote(item))
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
