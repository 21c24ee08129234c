package plaidemu

import (
	"maps"
	"sync"
	"time"
)

// rateLimit is Plaid's documented production limit of an endpoint, per item
// and per client, per minute.
type rateLimit struct {
	PerItem   int
	PerClient int
	Code      string
}

var rateLimits = map[string]rateLimit{
	"/transactions/sync":            {50, 2500, "TRANSACTIONS_SYNC_LIMIT"},
	"/accounts/balance/get":         {5, 1200, "ACCOUNTS_BALANCE_GET_LIMIT"},
	"/accounts/get":                 {15, 15000, "ACCOUNTS_LIMIT"},
	"/item/get":                     {15, 5000, "ITEM_GET_LIMIT"},
	"/transactions/refresh":         {2, 100, "RATE_LIMIT"},
	"/investments/holdings/get":     {15, 2000, "INVESTMENT_HOLDINGS_GET_LIMIT"},
	"/investments/transactions/get": {30, 20000, "INVESTMENT_TRANSACTIONS_LIMIT"},
	"/liabilities/get":              {15, 1000, "RATE_LIMIT"},
}

// limitCode is the *_LIMIT code Plaid gives an endpoint's 429 answers.
func limitCode(endpoint string) string {
	if l, ok := rateLimits[endpoint]; ok {
		return l.Code
	}
	switch endpoint {
	case "/transactions/get":
		return "TRANSACTIONS_LIMIT"
	case "/institutions/get_by_id":
		return "INSTITUTIONS_GET_BY_ID_LIMIT"
	}
	return "RATE_LIMIT"
}

// rateLimiter keeps the times of accepted calls in sliding one-minute
// windows per (endpoint, item) and per endpoint for the client.
type rateLimiter struct {
	mu      sync.Mutex
	window  time.Duration
	windows map[string][]time.Time
	limited map[string]int // calls refused per endpoint
}

func newRateLimiter(window time.Duration) *rateLimiter {
	if window <= 0 {
		window = time.Minute
	}
	return &rateLimiter{window: window, windows: map[string][]time.Time{}, limited: map[string]int{}}
}

// Limited returns how many calls per endpoint were refused (HTTP 429) for a
// rate limit since limits were last switched on.
func (e *Emulator) Limited() map[string]int {
	e.limiter.mu.Lock()
	defer e.limiter.mu.Unlock()
	return maps.Clone(e.limiter.limited)
}

// allow records a call at now and reports whether it is within limits.
// Rejected calls are not recorded, so a client that backs off recovers.
func (l *rateLimiter) allow(endpoint, itemID string, now time.Time) bool {
	lim, ok := rateLimits[endpoint]
	if !ok {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	clientKey := endpoint
	itemKey := endpoint + "\x00" + itemID
	if len(l.prune(clientKey, now)) >= lim.PerClient ||
		itemID != "" && len(l.prune(itemKey, now)) >= lim.PerItem {
		l.limited[endpoint]++
		return false
	}
	l.windows[clientKey] = append(l.windows[clientKey], now)
	if itemID != "" {
		l.windows[itemKey] = append(l.windows[itemKey], now)
	}
	return true
}

func (l *rateLimiter) prune(key string, now time.Time) []time.Time {
	w := l.windows[key]
	cut := 0
	for cut < len(w) && now.Sub(w[cut]) >= l.window {
		cut++
	}
	if cut > 0 {
		w = append(w[:0], w[cut:]...)
		l.windows[key] = w
	}
	return w
}

func (l *rateLimiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.windows)
	clear(l.limited)
}

// SetRateLimits switches enforcement of Plaid's per-minute limits. Turning
// it on starts with empty windows.
func (e *Emulator) SetRateLimits(enabled bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if enabled && !e.rateLimits {
		e.limiter.reset()
	}
	e.rateLimits = enabled
}
