package plaidemu

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config describes an emulator. The zero value is usable: every zero field
// takes its documented default.
type Config struct {
	Seed        int64   // generator seed; default 1
	Items       int     // items linked at start ("pre-seeded"); default 3; -1 means none
	HistoryDays int     // 1..730 days of history per item; default 730
	TxPerDay    float64 // average transactions per day per item (all its accounts); default 8
	ClientID    string  // default "test_client_id"
	Secret      string  // default "test_secret"
	// Today is the emulated current date; zero means today's UTC date.
	Today time.Time
	// Now, when set, is the emulated wall clock (for output that must not
	// depend on the time of day, as in golden tests); by default the real
	// clock is shifted to Today.
	Now func() time.Time
	// RateLimits enforces Plaid's documented per-item and per-client
	// per-minute limits.
	RateLimits bool
	// RateLimitWindow is the window the limits count calls in; zero means
	// Plaid's minute. A shorter one lets a test reach the limits quickly.
	RateLimitWindow time.Duration
	// NotReadySyncs is how many /transactions/sync calls are answered
	// NOT_READY for an item linked through Link or /sandbox/public_token/create
	// (pre-seeded items are ready); default 1; -1 means 0.
	NotReadySyncs int
	// InitialUpdateSyncs is how many /transactions/sync calls, after the
	// NOT_READY ones, a newly linked item answers INITIAL_UPDATE_COMPLETE
	// with only its last InitialUpdateDays of transactions; the call after
	// them brings the rest (HISTORICAL_UPDATE_COMPLETE). 0 (the default)
	// skips the initial update. CompleteHistoricalUpdate ends it at once.
	InitialUpdateSyncs int
	// PFCVersion is the client's default personal finance category
	// taxonomy: "v1" (the default; v2 on request, as for clients that
	// enabled Transactions before December 2025) or "v2" (always v2, as for
	// clients that enabled it from December 2025).
	PFCVersion string
	// LinkTokenTTL is how long link tokens live; zero means Plaid's (4 h, and
	// 30 min in update mode).
	LinkTokenTTL time.Duration
	// Logf, when set, receives one line per request. Secrets and tokens are
	// never passed to it.
	Logf func(format string, args ...any)
}

// Limits of the configuration, chosen so that a mistaken value fails fast
// instead of exhausting memory.
const (
	maxItems       = 10000
	maxHistoryDays = 730
	maxTxPerDay    = 500
	// maxGenerated bounds Items x HistoryDays x TxPerDay: about 1 GB of
	// memory. Items linked later add to it.
	maxGenerated = 5_000_000
)

func (c Config) withDefaults() Config {
	if c.Seed == 0 {
		c.Seed = 1
	}
	switch c.Items {
	case 0:
		c.Items = 3
	case -1:
		c.Items = 0
	}
	if c.HistoryDays == 0 {
		c.HistoryDays = 730
	}
	if c.TxPerDay == 0 {
		c.TxPerDay = 8
	}
	if c.ClientID == "" {
		c.ClientID = "test_client_id"
	}
	if c.Secret == "" {
		c.Secret = "test_secret"
	}
	switch {
	case c.NotReadySyncs == 0:
		c.NotReadySyncs = 1
	case c.NotReadySyncs == -1:
		c.NotReadySyncs = 0
	}
	if c.Today.IsZero() {
		c.Today = time.Now().UTC()
	}
	if c.PFCVersion == "" {
		c.PFCVersion = PFCv1
	}
	y, m, d := c.Today.Date()
	c.Today = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return c
}

// validate checks a configuration after defaults were applied.
func (c Config) validate() error {
	var errs []error
	if c.Items < 0 || c.Items > maxItems {
		errs = append(errs, fmt.Errorf("Items must be -1 (none), 0 (default 3) or up to %d, got %d", maxItems, c.Items))
	}
	if c.HistoryDays < 1 || c.HistoryDays > maxHistoryDays {
		errs = append(errs, fmt.Errorf("HistoryDays must be 1..%d, got %d", maxHistoryDays, c.HistoryDays))
	}
	if math.IsNaN(c.TxPerDay) || c.TxPerDay < 0 || c.TxPerDay > maxTxPerDay {
		errs = append(errs, fmt.Errorf("TxPerDay must be 0 (default) or more, at most %d, got %v", maxTxPerDay, c.TxPerDay))
	}
	if c.InitialUpdateSyncs < 0 || c.InitialUpdateSyncs > 1000 {
		errs = append(errs, fmt.Errorf("InitialUpdateSyncs must be 0..1000, got %d", c.InitialUpdateSyncs))
	}
	if c.NotReadySyncs < 0 || c.NotReadySyncs > 1000 {
		errs = append(errs, fmt.Errorf("NotReadySyncs must be -1..1000, got %d", c.NotReadySyncs))
	}
	if c.PFCVersion != PFCv1 && c.PFCVersion != PFCv2 {
		errs = append(errs, fmt.Errorf("PFCVersion must be %q or %q, got %q", PFCv1, PFCv2, c.PFCVersion))
	}
	if c.LinkTokenTTL < 0 {
		errs = append(errs, fmt.Errorf("LinkTokenTTL must not be negative, got %v", c.LinkTokenTTL))
	}
	if n := float64(c.Items) * float64(c.HistoryDays) * c.TxPerDay; n > maxGenerated {
		errs = append(errs, fmt.Errorf("Items x HistoryDays x TxPerDay would generate about %.0f transactions; at most %d are allowed", n, maxGenerated))
	}
	if y := c.Today.Year(); y < 1990 || y > 2200 {
		errs = append(errs, fmt.Errorf("field Today must be between 1990 and 2200, got %s", c.Today.Format(time.DateOnly)))
	}
	return errors.Join(errs...)
}
