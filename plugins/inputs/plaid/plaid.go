package plaid

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/plugins/inputs"

	"github.com/plaid-sync/telegraf-plaid/internal/itemhealth"
	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
)

//go:embed sample.conf
var sampleConfig string

const (
	balancesCached   = "cached"
	balancesRealtime = "realtime"
	balancesOff      = "off"

	pfcV1 = "v1"
	pfcV2 = "v2"

	// syncPageSize is the largest page /transactions/sync serves.
	syncPageSize = 500
	// maxLoopRestarts bounds how often one gather restarts an item's page loop
	// after TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION.
	maxLoopRestarts = 3
	// storeLockTimeout is how long Init waits for another process to release
	// the state store before saying it is in use.
	storeLockTimeout = 2 * time.Second
	// updateNotReady is the transactions_update_status of an item whose
	// history Plaid is still preparing, as just after it was linked.
	updateNotReady = "NOT_READY"
)

// notReadyBackoff is how soon plaid-sync gathers again, one step after the
// other, while an item answers NOT_READY: Plaid usually has the first
// transactions of a new link within a minute, and the regular interval
// (30 minutes, say) would leave the new bank empty for that long. Past the
// last step the regular interval carries on.
var notReadyBackoff = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}

// Plaid syncs every linked Plaid item: transactions through
// /transactions/sync, balances and item health.
type Plaid struct {
	AccountsFile       string          `toml:"accounts_file"`
	StateDir           string          `toml:"state_dir"`
	ClientID           string          `toml:"client_id"`
	Secret             config.Secret   `toml:"secret"`
	Environment        string          `toml:"environment"`
	BaseURL            string          `toml:"base_url"`
	Balances           string          `toml:"balances"`
	BalanceInterval    config.Duration `toml:"balance_interval"`
	ItemStatusInterval config.Duration `toml:"item_status_interval"`
	Timezone           string          `toml:"timezone"`
	DaysRequested      int             `toml:"days_requested"`
	MaxConcurrency     int             `toml:"max_concurrency"`
	Timeout            config.Duration `toml:"timeout"`
	RequestTimeout     config.Duration `toml:"request_timeout"`
	ReplayInterval     config.Duration `toml:"replay_interval"`
	ReplayWindow       config.Duration `toml:"replay_window"`
	Linktool           string          `toml:"linktool"`
	ConsentWarningDays int             `toml:"consent_warning_days"`
	// Liabilities turns plaid_liability on; it is polled once per
	// LiabilitiesInterval (liabilities.go).
	Liabilities         bool            `toml:"liabilities"`
	LiabilitiesInterval config.Duration `toml:"liabilities_interval"`
	// Holdings turns plaid_holding on; it is polled once per
	// HoldingsInterval (holdings.go).
	Holdings         bool            `toml:"holdings"`
	HoldingsInterval config.Duration `toml:"holdings_interval"`
	// InvestmentTransactions turns plaid_investment_transaction on; each
	// poll reads InvestmentTransactionsWindow again, and one every
	// InvestmentTransactionsFullReread the whole history
	// (investment_transactions.go).
	InvestmentTransactions           bool            `toml:"investment_transactions"`
	InvestmentTransactionsInterval   config.Duration `toml:"investment_transactions_interval"`
	InvestmentTransactionsWindow     config.Duration `toml:"investment_transactions_window"`
	InvestmentTransactionsFullReread config.Duration `toml:"investment_transactions_full_reread"`
	// PFCVersion asks /transactions/sync for personal finance categories of
	// this taxonomy ("v1" or "v2"); "" takes what Plaid gives the client.
	PFCVersion string `toml:"personal_finance_category_version"`
	// ClientRateLimits overrides Plaid's per-client limits, calls a minute
	// per endpoint, that the plugin spreads its calls within.
	ClientRateLimits map[string]int `toml:"client_rate_limits"`
	// Shard is "I/N": this instance syncs the items whose name hashes to I
	// of N instances; "" syncs them all.
	Shard string `toml:"shard"`
	SelfCheck

	Log telegraf.Logger `toml:"-"`

	// GiveUpUnreachable makes a gather give up on a call at once when Plaid
	// cannot be reached at all (connection refused, no such host), instead
	// of retrying within the gather's timeout: for a gather run by hand
	// (plaid-sync -once), where minutes of retries only hide the cause.
	GiveUpUnreachable bool `toml:"-"`

	// Transport replaces the HTTP transport to Plaid (tests); nil in use.
	Transport http.RoundTripper `toml:"-"`

	location *time.Location
	accounts *accountsFile
	ledger   *ledger.Ledger
	retry    retryPolicy
	pageSize int // /transactions/sync count; smaller in tests to split pages
	tracker  *deliveryTracker

	mu              sync.Mutex // guards api and credentials
	api             *api
	apiOptionsInUse plaidapi.Options

	ctx        context.Context // cancelled by Interrupt: ends a gather early
	cancel     context.CancelFunc
	lastReplay time.Time
	replayed   bool
	results    []ItemResult
	now        func() time.Time

	notReadyStep int           // steps of notReadyBackoff taken in a row
	retryAfter   time.Duration // see RetryAfter

	balanceMu   sync.Mutex
	balanceErrs map[string]error // item -> its last balance poll's failure

	limiter    *clientLimiter
	rateWindow time.Duration // what client_rate_limits count in; a minute but in tests
	schedule   itemSchedule
}

func (*Plaid) SampleConfig() string {
	return sampleConfig
}

func (p *Plaid) Init() error {
	if err := p.validate(); err != nil {
		return err
	}
	sh, err := parseShard(p.Shard)
	if err != nil {
		return err
	}
	accounts, err := openAccountsFile(p.AccountsFile, sh)
	if err != nil {
		return err
	}
	p.accounts = accounts
	if warning := accounts.permissionWarning(); warning != "" {
		p.Log.Warn(warning)
	}
	accounts.warnSkipped(p.Log, p.Linktool)
	p.limiter = newClientLimiter(p.clientRateLimits(), sh.count, cmp.Or(p.rateWindow, time.Minute))
	if _, err := p.currentAPI(); err != nil {
		return err
	}
	if p.now == nil {
		p.now = time.Now
	}
	if err := p.initSelfCheck(); err != nil {
		return err
	}
	l, recovery, err := ledger.Open(p.StateDir, ledger.Options{LockTimeout: storeLockTimeout, Now: p.now})
	if err != nil {
		return err
	}
	p.ledger = l
	p.reportRecovery(&recovery)
	p.retry = defaultRetryPolicy
	if p.GiveUpUnreachable {
		p.retry.GiveUp = unreachable
	}
	if p.pageSize == 0 {
		p.pageSize = syncPageSize
	}
	p.tracker = newDeliveryTracker()
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return nil
}

// New returns the plugin with its defaults, as Telegraf's loader creates
// it before applying the configuration: an option set explicitly to zero
// stays zero, and Init says whether zero makes sense for it.
func New() *Plaid {
	return &Plaid{
		Balances:           balancesCached,
		BalanceInterval:    config.Duration(6 * time.Hour),
		ItemStatusInterval: config.Duration(time.Hour),
		Timezone:           "Local",
		DaysRequested:      730,
		MaxConcurrency:     4,
		Timeout:            config.Duration(5 * time.Minute),
		RequestTimeout:     config.Duration(60 * time.Second),
		ReplayInterval:     config.Duration(24 * time.Hour),
		ReplayWindow:       config.Duration(30 * 24 * time.Hour),
		Linktool:           "linktool",
		SelfCheck:          defaultSelfCheck(),
		ConsentWarningDays: itemhealth.DefaultConsentWarningDays,

		Liabilities:         true,
		LiabilitiesInterval: config.Duration(12 * time.Hour),
		Holdings:            true,
		HoldingsInterval:    config.Duration(12 * time.Hour),

		InvestmentTransactions:         true,
		InvestmentTransactionsInterval: config.Duration(12 * time.Hour),
		InvestmentTransactionsWindow:   config.Duration(30 * 24 * time.Hour),
		// A week: removals older than the window are found within one.
		InvestmentTransactionsFullReread: config.Duration(7 * 24 * time.Hour),
	}
}

// validate checks every option and names each one that is wrong.
func (p *Plaid) validate() error {
	var errs []error
	if p.AccountsFile == "" {
		errs = append(errs, errors.New("accounts_file: required (the INI file that linktool writes)"))
	} else if abs, err := filepath.Abs(p.AccountsFile); err == nil {
		p.AccountsFile = abs
	}
	if p.StateDir == "" {
		errs = append(errs, errors.New("state_dir: required (a directory the plugin may write)"))
	}
	switch p.Balances {
	case balancesCached, balancesRealtime, balancesOff:
	default:
		errs = append(errs, fmt.Errorf("balances: %q is not one of %q, %q or %q", p.Balances, balancesCached, balancesRealtime, balancesOff))
	}
	for _, d := range []struct {
		key string
		val config.Duration
		min time.Duration
		why string
	}{
		{"balance_interval", p.BalanceInterval, 0, ""},
		{"item_status_interval", p.ItemStatusInterval, 0, ""},
		{"timeout", p.Timeout, time.Second, "a gather needs time to reach Plaid"},
		{"request_timeout", p.RequestTimeout, time.Second, "a Plaid call needs time"},
		{"replay_interval", p.ReplayInterval, time.Minute, "set replay_window = \"0s\" to turn replay off"},
		{"replay_window", p.ReplayWindow, 0, ""},
		{"liabilities_interval", p.LiabilitiesInterval, 0, ""},
		{"holdings_interval", p.HoldingsInterval, 0, ""},
		{"investment_transactions_interval", p.InvestmentTransactionsInterval, 0, ""},
		{"investment_transactions_window", p.InvestmentTransactionsWindow, 24 * time.Hour, "corrections are found by reading this many days again"},
		{"investment_transactions_full_reread", p.InvestmentTransactionsFullReread, 0, ""},
	} {
		if time.Duration(d.val) < d.min {
			msg := fmt.Sprintf("%s: %s is below the minimum of %s", d.key, time.Duration(d.val), d.min)
			if d.why != "" {
				msg += " (" + d.why + ")"
			}
			errs = append(errs, errors.New(msg))
		}
	}
	loc, err := time.LoadLocation(p.Timezone)
	if err != nil || p.Timezone == "" {
		errs = append(errs, fmt.Errorf("timezone: %q is not a known time zone (an IANA name such as \"America/New_York\", or \"Local\")", p.Timezone))
	}
	p.location = loc
	if p.DaysRequested < 1 || p.DaysRequested > 730 {
		errs = append(errs, fmt.Errorf("days_requested: %d is outside 1-730", p.DaysRequested))
	}
	if p.MaxConcurrency < 1 || p.MaxConcurrency > 64 {
		errs = append(errs, fmt.Errorf("max_concurrency: %d is outside 1-64", p.MaxConcurrency))
	}
	errs = append(errs, validateClientRateLimits(p.ClientRateLimits)...)
	if _, err := parseShard(p.Shard); err != nil {
		errs = append(errs, err)
	}
	if p.ConsentWarningDays < 0 || p.ConsentWarningDays > 365 {
		errs = append(errs, fmt.Errorf("consent_warning_days: %d is outside 0-365", p.ConsentWarningDays))
	}
	switch p.PFCVersion {
	case "", pfcV1, pfcV2:
	default:
		errs = append(errs, fmt.Errorf("personal_finance_category_version: %q is not %q or %q (or unset: what Plaid gives the client)", p.PFCVersion, pfcV1, pfcV2))
	}
	if p.Linktool == "" {
		errs = append(errs, errors.New("linktool: empty (the command named in update_command)"))
	}
	return errors.Join(errs...)
}

// Gather brings every enabled item up to date and writes what changed.
func (p *Plaid) Gather(acc telegraf.Accumulator) error {
	ctx, cancel := context.WithTimeout(p.ctx, time.Duration(p.Timeout))
	defer cancel()

	tacc := p.tracker.attach(acc)
	p.accounts.refresh(p.Log, p.Linktool)
	items := p.accounts.enabledItems()

	if !p.replayed {
		// A new process: first whatever was committed but never delivered,
		// then the replay window.
		p.emitUndelivered(tacc)
	}
	if p.replayDue() {
		p.replay(acc, items)
	}

	api, err := p.currentAPI()
	if err != nil {
		acc.AddError(err)
		return nil
	}
	results := inItemOrder(items, p.gatherItems(ctx, api, &onceForAll{TrackingAccumulator: tacc}, p.schedule.order(items)))
	p.schedule.note(results, p.now())
	p.results = append(results, p.reportSkipped(acc)...)
	if len(p.results) == 0 {
		p.Log.Warnf("no bank is linked in %s: link one with: %s", p.AccountsFile, p.commands().Link("My Bank"))
	}
	p.retryAfter = p.nextNotReadyRetry()
	p.settleDeliveries()
	p.selfCheck(ctx, acc, p.results)
	if err := p.ledger.Checkpoint(); err != nil {
		p.Log.Warnf("state snapshot: %v; the state store itself is fine, and the next gather tries again", err)
	}
	return nil
}

// gatherItems syncs the items, at most MaxConcurrency at a time. One item's
// failure never stops the others.
func (p *Plaid) gatherItems(ctx context.Context, api *api, acc telegraf.TrackingAccumulator, items []configuredItem) []ItemResult {
	results := make([]ItemResult, len(items))
	sem := make(chan struct{}, p.MaxConcurrency)
	var wg sync.WaitGroup
	for i := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = p.gatherItem(ctx, api, acc, items[i])
		}()
	}
	wg.Wait()
	return results
}

// unreachable reports a call that found no Plaid to talk to: the name does
// not resolve or nothing listens at the address. Retrying that for minutes
// helps a long-running process ride out a network change, not a user who
// waits at a terminal.
func unreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return !dnsErr.IsTimeout
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}

// credentialCodes are Plaid's answers about the client_id and secret: every
// bank gets the same one, and one gather error says it.
var credentialCodes = []string{"INVALID_API_KEYS", "INVALID_CLIENT_ID", "INVALID_SECRET"}

// onceForAll passes a gather's errors on, except that an answer about the
// credentials is passed once, not once per bank.
type onceForAll struct {
	telegraf.TrackingAccumulator
	mu   sync.Mutex
	seen map[string]bool
}

func (o *onceForAll) AddError(err error) {
	if err == nil {
		return
	}
	for _, code := range credentialCodes {
		if !strings.Contains(err.Error(), "] "+code+":") {
			continue
		}
		o.mu.Lock()
		first := !o.seen[code]
		if o.seen == nil {
			o.seen = map[string]bool{}
		}
		o.seen[code] = true
		o.mu.Unlock()
		if first {
			o.TrackingAccumulator.AddError(fmt.Errorf("%w (Plaid refuses the client_id and secret, so every bank fails alike; this is said once per gather)", err))
		}
		return
	}
	o.TrackingAccumulator.AddError(err)
}

// RetryAfter says how soon the next gather should come because an item
// answered NOT_READY in the last one; zero when none did, or when the
// back-off is used up and the regular interval takes over.
func (p *Plaid) RetryAfter() time.Duration { return p.retryAfter }

func (p *Plaid) nextNotReadyRetry() time.Duration {
	var waiting []string
	for i := range p.results {
		if r := &p.results[i]; r.UpdateStatus == updateNotReady && !r.Failed() {
			waiting = append(waiting, r.Name)
		}
	}
	if len(waiting) == 0 {
		p.notReadyStep = 0
		return 0
	}
	if p.notReadyStep >= len(notReadyBackoff) {
		return 0
	}
	wait := notReadyBackoff[p.notReadyStep]
	p.notReadyStep++
	p.Log.Infof("Plaid is still preparing the history of %s (NOT_READY): gathering again in %s", strings.Join(waiting, ", "), wait)
	return wait
}

// Items names the banks (Plaid items) of accounts_file that a gather syncs,
// and PlaidURL is where it calls Plaid: for progress lines at start-up.
func (p *Plaid) Items() []string {
	var names []string
	for _, it := range p.accounts.enabledItems() {
		names = append(names, it.Name)
	}
	return names
}

// PlaidURL is the Plaid API address in use.
func (p *Plaid) PlaidURL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.apiOptionsInUse.BaseURL
}

// Results returns what the last gather did per item, in accounts_file order.
func (p *Plaid) Results() []ItemResult {
	return slices.Clone(p.results)
}

// Interrupt ends a gather in progress at its next step, leaving every item in
// a state the next gather (or process) resumes from.
func (p *Plaid) Interrupt() {
	if p.cancel != nil {
		p.cancel()
	}
}

func (p *Plaid) Start(telegraf.Accumulator) error { return nil }

// Stop records the deliveries that arrived and closes the state store.
func (p *Plaid) Stop() {
	p.Interrupt()
	if p.ledger == nil {
		return
	}
	p.settleDeliveries()
	p.mu.Lock()
	if p.api != nil {
		p.api.http.CloseIdleConnections()
	}
	p.mu.Unlock()
	if err := p.ledger.Close(); err != nil {
		p.Log.Errorf("closing the state store: %v", err)
	}
	p.ledger = nil
}

func init() {
	inputs.Add("plaid", func() telegraf.Input { return New() })
}
