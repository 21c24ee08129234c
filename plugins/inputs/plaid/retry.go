package plaid

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
)

// retryPolicy is exponential backoff with jitter for the failures Plaid
// documents as transient: rate limits, 5xx, institutions down, planned
// maintenance, and transport errors.
type retryPolicy struct {
	Initial     time.Duration
	Max         time.Duration
	MaxAttempts int
	// GiveUp, when set, ends the retries early for the failures it names.
	GiveUp func(error) bool
}

var defaultRetryPolicy = retryPolicy{Initial: time.Second, Max: 30 * time.Second, MaxAttempts: 8}

// errNoTimeLeft marks a retryable failure given up because the gather's
// deadline would pass before the next attempt.
var errNoTimeLeft = errors.New("no time left in this gather to retry")

// do runs call until it succeeds, fails for good, or the policy or the
// context's deadline says stop. retried is called before each new attempt.
func (rp retryPolicy) do(ctx context.Context, call func(context.Context) error, retried func(err error, wait time.Duration)) error {
	delay := rp.Initial
	for attempt := 1; ; attempt++ {
		err := call(ctx)
		if err == nil {
			return nil
		}
		pe, ok := plaidapi.AsError(err)
		if !ok || !pe.Retryable() || ctx.Err() != nil || attempt >= rp.MaxAttempts || rp.GiveUp != nil && rp.GiveUp(err) {
			return err
		}
		wait := delay/2 + rand.N(delay/2+1)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return errors.Join(err, errNoTimeLeft)
		}
		if retried != nil {
			retried(err, wait)
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return err
		}
		delay = min(delay*2, rp.Max)
	}
}
