package plaid

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
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
)

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
	results := inItemOrder(items, p.gatherItems(ctx, api, tacc, p.schedule.order(items)))
	p.schedule.note(results, p.now())
	p.results = append(results, p.reportSkipped(acc)...)
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
