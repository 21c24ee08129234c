package plaidemu

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Emulator is an in-memory Plaid. All methods are safe for concurrent use.
type Emulator struct {
	cfg Config

	mu           sync.Mutex
	today        day
	offset       time.Duration // emulated now = wall clock + offset
	items        []*item       // creation order, removed ones included
	byToken      map[string]*item
	publicTokens map[string]*publicToken
	links        map[string]*linkToken
	hosted       map[string]*linkToken
	tokenRand    *rand.Rand // public and link tokens, session ids, in call order
	faults       faultSet
	rateLimits   bool
	limiter      *rateLimiter

	stats     statsStore
	requestNo atomic.Uint64

	handler http.Handler

	srvMu    sync.Mutex
	srv      *http.Server
	conns    connTracker
	baseURL  string
	done     chan struct{} // closed by Close: ends injected latencies
	closeErr error
	closed   bool
}

// New validates cfg, applies defaults and generates the pre-seeded items
// with their history.
func New(cfg Config) (*Emulator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("plaidemu: invalid config: %w", err)
	}
	now := time.Now().UTC()
	e := &Emulator{
		cfg:          cfg,
		today:        dayOf(cfg.Today),
		offset:       cfg.Today.Sub(now.Truncate(24 * time.Hour)),
		byToken:      map[string]*item{},
		publicTokens: map[string]*publicToken{},
		links:        map[string]*linkToken{},
		hosted:       map[string]*linkToken{},
		tokenRand:    newRand(uint64(cfg.Seed), streamTokens),
		rateLimits:   cfg.RateLimits,
		limiter:      newRateLimiter(cfg.RateLimitWindow),
		done:         make(chan struct{}),
	}
	e.faults.rand = newRand(uint64(cfg.Seed), streamFaults)
	e.stats.reset()
	for i := 0; i < cfg.Items; i++ {
		inst := institutions[i%len(institutions)]
		name := "Test " + inst.Short
		if round := i / len(institutions); round > 0 {
			name += " " + strconv.Itoa(round+1)
		}
		// Pre-seeded items were linked with Transactions and HistoryDays.
		it := e.newItem(inst, name, true, cfg.HistoryDays, "", nil)
		it.txInit = true
		it.setPreseededProducts()
	}
	e.handler = e.routes()
	return e, nil
}

// now is the emulated wall-clock time: the real clock shifted to the
// emulated date.
func (e *Emulator) now() time.Time {
	if e.cfg.Now != nil {
		return e.cfg.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Add(e.offset).Truncate(time.Second)
}

// newItem links an item at inst and generates its history up to today;
// it holds an account of each kind in need. Callers hold e.mu (or own e
// exclusively, as New does).
func (e *Emulator) newItem(inst *institution, name string, ready bool, historyDays int, webhook string, need []accountKind) *item {
	idx := len(e.items)
	seed := uint64(e.cfg.Seed)
	r := newRand(seed, streamItem, uint64(idx))
	ids := &idStream{r: newRand(seed, streamIDs, uint64(idx))}
	it := &item{
		Index:       idx,
		Name:        name,
		Inst:        inst,
		ID:          ids.next(),
		AccessToken: "access-sandbox-" + uuid4(r),
		Webhook:     webhook,
		idRand:      ids,
	}
	it.Accounts = newAccounts(idx, inst, r, ids, need)
	start := e.today - day(historyDays) + 1
	for _, a := range it.Accounts {
		if a.Kind == kindStudentLoan || a.Kind == kindMortgage {
			a.Opening = a.Loan.Principal
			a.Loan.OriginationDate = start - day(between(r, 30, 900))
		}
	}
	it.schedule = newSchedule(e.cfg.Seed, it, e.cfg.TxPerDay)
	var discard AdvanceSummary
	for d := start; d <= e.today; d++ {
		e.runBankDay(it, d, e.today, false, &discard)
	}
	// Depository balances end where a person would expect them; the
	// opening balance is whatever makes that true.
	for _, a := range it.Accounts {
		switch a.Kind {
		case kindChecking:
			a.Opening = between(r, 80000, 900000) + a.Posted
		case kindSavings:
			a.Opening = between(r, 200000, 3000000) + a.Posted
		case kindForeign:
			a.Opening = between(r, 50000, 500000) + a.Posted
		}
	}
	now := e.now()
	it.created, it.lastSuccess = now, now
	if inst.Consent {
		it.consent = now.AddDate(1, 0, 0)
	}
	if !ready {
		it.notReady = e.cfg.NotReadySyncs
		if e.cfg.InitialUpdateSyncs > 0 {
			it.historyHeld, it.initialSyncs = true, e.cfg.InitialUpdateSyncs
			it.recentFrom = e.today - InitialUpdateDays + 1
		}
	}
	e.items = append(e.items, it)
	e.byToken[it.AccessToken] = it
	return it
}

// InitialUpdateDays is how many recent days of transactions Plaid's initial
// update brings, before the historical update.
const InitialUpdateDays = 30

// CompleteHistoricalUpdate ends an item's initial update now (see
// Config.InitialUpdateSyncs): its older transactions become visible and the
// next sync answers HISTORICAL_UPDATE_COMPLETE with them as added. It is
// no error when the update was complete already.
func (e *Emulator) CompleteHistoricalUpdate(ref string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it := e.findItem(ref)
	if it == nil || it.removed {
		return fmt.Errorf("plaidemu: no live item named %q (use an item name, item_id or access_token)", redactToken(ref))
	}
	it.releaseHistory()
	return nil
}

// uniqueItemName suggests an INI section name for a newly linked item.
func (e *Emulator) uniqueItemName(inst *institution) string {
	base := "Test " + inst.Short
	taken := func(n string) bool {
		for _, it := range e.items {
			if it.Name == n {
				return true
			}
		}
		return false
	}
	if !taken(base) {
		return base
	}
	for i := 2; ; i++ {
		if n := base + " " + strconv.Itoa(i); !taken(n) {
			return n
		}
	}
}

// catchUp applies the bank days an item missed while its login was broken.
func (e *Emulator) catchUp(it *item) {
	var discard AdvanceSummary
	for d := it.bankDay + 1; d <= e.today; d++ {
		e.runBankDay(it, d, e.today, true, &discard)
	}
	it.lastSuccess = e.now()
}

// ItemInfo describes a live item.
type ItemInfo struct {
	Name            string `json:"name"` // suggested INI section name, e.g. "Test Chase"; unique
	ItemID          string `json:"item_id"`
	AccessToken     string `json:"access_token"`
	InstitutionID   string `json:"institution_id"`
	InstitutionName string `json:"institution"`
	Error           string `json:"error,omitempty"` // current Plaid error code on the item, e.g. ITEM_LOGIN_REQUIRED
}

// Items lists all live (not removed) items in creation order.
func (e *Emulator) Items() []ItemInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []ItemInfo{}
	for _, it := range e.items {
		if it.removed {
			continue
		}
		out = append(out, ItemInfo{Name: it.Name, ItemID: it.ID, AccessToken: it.AccessToken,
			InstitutionID: it.Inst.ID, InstitutionName: it.Inst.Name, Error: it.errCode})
	}
	return out
}

// AdvanceSummary counts what Advance changed across all items.
type AdvanceSummary struct {
	Today    string `json:"today"`    // new emulated date, YYYY-MM-DD
	Added    int    `json:"added"`    // new transactions (pending and posted)
	Posted   int    `json:"posted"`   // pending transactions that posted (removed pending + added posted)
	Dropped  int    `json:"dropped"`  // pending holds that vanished
	Modified int    `json:"modified"` // corrections to posted transactions
	Removed  int    `json:"removed"`  // plain removals of posted transactions
}

// Advance moves the emulated date forward by days (1..365), one bank day
// at a time for every live item whose login works. Items in
// ITEM_LOGIN_REQUIRED miss those days until their login is repaired.
func (e *Emulator) Advance(days int) (AdvanceSummary, error) {
	if days < 1 || days > 365 {
		return AdvanceSummary{}, fmt.Errorf("plaidemu: days must be 1..365, got %d", days)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var sum AdvanceSummary
	for range days {
		e.today++
		e.offset += 24 * time.Hour
		for _, it := range e.items {
			if it.removed {
				continue
			}
			e.expireConsent(it)
			if it.errCode == "" {
				e.runBankDay(it, e.today, e.today, true, &sum)
			}
		}
	}
	now := e.now()
	for _, it := range e.items {
		switch {
		case it.removed:
		case it.errCode != "":
			it.lastFailed = now
		default:
			it.lastSuccess = now
		}
	}
	sum.Today = e.today.String()
	return sum, nil
}

// Handler returns the emulator's HTTP handler (Plaid API, Link pages and
// the /emulator/ control endpoints) for httptest or embedding.
func (e *Emulator) Handler() http.Handler { return e.handler }

// Serve listens on addr (e.g. "127.0.0.1:0") and serves in the background.
// It returns the base URL, "http://HOST:PORT" without a trailing slash.
func (e *Emulator) Serve(addr string) (string, error) {
	e.srvMu.Lock()
	defer e.srvMu.Unlock()
	if e.closed {
		return "", errors.New("plaidemu: emulator is closed")
	}
	if e.srv != nil {
		return "", fmt.Errorf("plaidemu: already serving on %s", e.baseURL)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("plaidemu: listen: %w", err)
	}
	e.srv = &http.Server{Handler: e.handler, ReadHeaderTimeout: 10 * time.Second, ConnState: e.conns.track}
	e.baseURL = "http://" + ln.Addr().String()
	srv := e.srv
	go func() { _ = srv.Serve(ln) }()
	return e.baseURL, nil
}

// URL is the base URL Serve returned, or "" before Serve.
func (e *Emulator) URL() string {
	e.srvMu.Lock()
	defer e.srvMu.Unlock()
	return e.baseURL
}

// Close stops the server, waiting at most five seconds for requests in
// flight; connections still busy after that are closed. It is safe to call
// more than once.
func (e *Emulator) Close() error {
	e.srvMu.Lock()
	defer e.srvMu.Unlock()
	if e.closed {
		return e.closeErr
	}
	e.closed = true
	close(e.done)
	if e.srv == nil {
		return nil
	}
	// Connections that were opened but never carried a request would hold
	// Shutdown for five seconds; nothing is lost by closing them.
	e.conns.closeUnused()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			e.closeErr = err
		}
		if err := e.srv.Close(); err != nil && e.closeErr == nil {
			e.closeErr = err
		}
	}
	return e.closeErr
}

// connTracker knows the server's connections and their states.
type connTracker struct {
	mu     sync.Mutex
	conns  map[net.Conn]http.ConnState
	opened atomic.Int64 // connections accepted since the stats were reset
}

func (t *connTracker) track(c net.Conn, state http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns == nil {
		t.conns = map[net.Conn]http.ConnState{}
	}
	switch state {
	case http.StateNew:
		t.opened.Add(1)
		t.conns[c] = state
	case http.StateHijacked, http.StateClosed:
		delete(t.conns, c)
	default:
		t.conns[c] = state
	}
}

func (t *connTracker) closeUnused() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c, state := range t.conns {
		if state == http.StateNew {
			_ = c.Close()
		}
	}
}
