package plaid

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"
)

// defaultClientRateLimits are Plaid's published per-client limits, calls a
// minute, of the endpoints the plugin calls. They hold for the client as a
// whole, across all its items: with thousands of items a gather would
// otherwise be refused (HTTP 429) instead of spread.
var defaultClientRateLimits = map[string]int{
	"/transactions/sync":            2500,
	"/accounts/balance/get":         1200,
	"/accounts/get":                 15000,
	"/item/get":                     5000,
	"/transactions/refresh":         100,
	"/investments/holdings/get":     2000,
	"/investments/transactions/get": 20000,
	"/liabilities/get":              1000,
}

// clientLimiter spreads the calls of all items over time, per endpoint.
type clientLimiter struct {
	byPath map[string]*windowLimiter
}

// newClientLimiter allows each endpoint perWindow calls in any window
// (Plaid counts a minute), divided by shares (the instances that share the
// client), with 2 % to spare for calls that reach Plaid a little later than
// the limiter let them go.
//
// Calls go in slots: a high limit is spent in bulk once a second (a
// window's sixtieth), so that calls run back to back and the process sleeps
// between slots instead of waking for every call; a low one spaces single
// calls evenly. Any window of Plaid's overlaps at most 61 slots of a
// second, so a slot holds at most a 61st of the allowance.
func newClientLimiter(perWindow map[string]int, shares int, window time.Duration) *clientLimiter {
	l := &clientLimiter{byPath: make(map[string]*windowLimiter, len(perWindow))}
	for path, n := range perWindow {
		allowed := max(int(float64(n/max(shares, 1))*0.98), 1)
		if perSlot := allowed / 61; perSlot >= 2 {
			l.byPath[path] = &windowLimiter{slot: window / 60, perSlot: perSlot}
		} else {
			l.byPath[path] = &windowLimiter{slot: window / time.Duration(allowed), perSlot: 1}
		}
	}
	return l
}

// wait blocks until a call to path may go, or says that the gather's
// deadline comes first.
func (l *clientLimiter) wait(ctx context.Context, path string) error {
	lim := l.byPath[path]
	if lim == nil {
		return nil
	}
	if err := lim.wait(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: the client-wide limit of %s calls is reached until after the gather's deadline", errNoTimeLeft, path)
	}
	return nil
}

// windowLimiter lets perSlot calls go in each slot: a slot opens with the
// first call after the previous one closed, and lasts slot.
type windowLimiter struct {
	slot    time.Duration
	perSlot int

	mu     sync.Mutex
	opened time.Time // when the current slot opened
	used   int       // calls let go in it
}

var errSlotAfterDeadline = errors.New("the next slot opens after the deadline")

func (w *windowLimiter) wait(ctx context.Context) error {
	for {
		next, ok := w.take(time.Now())
		if ok {
			return nil
		}
		if deadline, ok := ctx.Deadline(); ok && deadline.Before(next) {
			return errSlotAfterDeadline
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// take lets a call go at now, or says when the next slot opens.
func (w *windowLimiter) take(now time.Time) (next time.Time, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Sub(w.opened) >= w.slot {
		w.opened, w.used = now, 0
	}
	if w.used < w.perSlot {
		w.used++
		return now, true
	}
	return w.opened.Add(w.slot), false
}

// limitedTransport waits for the client-wide limit before each call.
type limitedTransport struct {
	next    http.RoundTripper
	limiter *clientLimiter
}

func (t *limitedTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.limiter.wait(req.Context(), req.URL.Path); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}

// clientRateLimits is the configured limits over the defaults.
func (p *Plaid) clientRateLimits() map[string]int {
	limits := maps.Clone(defaultClientRateLimits)
	maps.Copy(limits, p.ClientRateLimits)
	return limits
}

func validateClientRateLimits(limits map[string]int) []error {
	var errs []error
	for _, path := range slices.Sorted(maps.Keys(limits)) {
		if _, known := defaultClientRateLimits[path]; !known {
			errs = append(errs, fmt.Errorf("client_rate_limits: %q is not an endpoint the plugin calls (known: %v)", path, slices.Sorted(maps.Keys(defaultClientRateLimits))))
		} else if limits[path] < 1 {
			errs = append(errs, fmt.Errorf("client_rate_limits: %q must be at least 1 call a minute, got %d", path, limits[path]))
		}
	}
	return errs
}

// itemSchedule orders a gather's items: those a gather's deadline cut short
// go first next time, so that none waits for ever behind the others.
type itemSchedule struct {
	mu     sync.Mutex
	behind map[string]time.Time // item -> when it was last cut short
}

func (s *itemSchedule) order(items []configuredItem) []configuredItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.behind) == 0 {
		return items
	}
	out := slices.Clone(items)
	sort.SliceStable(out, func(i, j int) bool {
		ti, bi := s.behind[out[i].Name]
		tj, bj := s.behind[out[j].Name]
		if bi != bj {
			return bi
		}
		return bi && ti.Before(tj)
	})
	return out
}

// note remembers which items this gather cut short.
func (s *itemSchedule) note(results []ItemResult, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range results {
		if r.Status == statusIncomplete {
			if s.behind == nil {
				s.behind = make(map[string]time.Time)
			}
			if _, ok := s.behind[r.Name]; !ok {
				s.behind[r.Name] = now
			}
		} else {
			delete(s.behind, r.Name)
		}
	}
}

// inItemOrder puts results back in the order of items (accounts_file's).
func inItemOrder(items []configuredItem, results []ItemResult) []ItemResult {
	byName := make(map[string]ItemResult, len(results))
	for _, r := range results {
		byName[r.Name] = r
	}
	out := make([]ItemResult, 0, len(results))
	for _, it := range items {
		if r, ok := byName[it.Name]; ok {
			out = append(out, r)
		}
	}
	return out
}
