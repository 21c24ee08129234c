package plaid

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/plugins/common/tls"

	"github.com/plaid-sync/telegraf-plaid/internal/verify"
)

// SelfCheck is the optional check of InfluxDB against the ledger: the
// plugin's answer to points lost downstream where no replay window reaches,
// such as Telegraf killed while its buffer holds a first sync, or a buffer
// overflow during a long outage. With verify_url set, the plugin compares
// InfluxDB with the ledger when it starts, after a gather that wrote more
// than a page of transactions (a first sync or a resync), and every
// verify_interval. Whatever InfluxDB lacks it writes again, through Telegraf
// like every other point, and checks again, until the two agree. It never
// retracts a point it did not write: orphans are reported, for
// plaid-sync -repair.
type SelfCheck struct {
	VerifyURL      string          `toml:"verify_url"`
	VerifyDatabase string          `toml:"verify_database"`
	VerifyUsername config.Secret   `toml:"verify_username"`
	VerifyPassword config.Secret   `toml:"verify_password"`
	VerifyInterval config.Duration `toml:"verify_interval"`
	VerifyDelay    config.Duration `toml:"verify_delay"`
	tls.ClientConfig

	influx *verify.Influx
	// due says a check is wanted; it runs once nothing was written for
	// verify_delay, so that Telegraf has had time to flush.
	due       bool
	lastWrite time.Time
	lastCheck time.Time
}

func defaultSelfCheck() SelfCheck {
	return SelfCheck{VerifyInterval: config.Duration(24 * time.Hour), VerifyDelay: config.Duration(2 * time.Minute)}
}

// initSelfCheck sets up the check when verify_url is set.
func (p *Plaid) initSelfCheck() error {
	c := &p.SelfCheck
	if c.VerifyURL == "" {
		return nil
	}
	if time.Duration(c.VerifyInterval) < time.Minute {
		return fmt.Errorf("verify_interval: %s is below the minimum of 1m", time.Duration(c.VerifyInterval))
	}
	if c.VerifyDelay < 0 {
		return fmt.Errorf("verify_delay: %s is negative", time.Duration(c.VerifyDelay))
	}
	if c.VerifyDatabase == "" {
		return errors.New("verify_database: required with verify_url (the database Telegraf writes to)")
	}
	user, err := secretString(c.VerifyUsername)
	if err != nil {
		return fmt.Errorf("verify_username: %w", err)
	}
	password, err := secretString(c.VerifyPassword)
	if err != nil {
		return fmt.Errorf("verify_password: %w", err)
	}
	tlsConfig, err := c.ClientConfig.TLSConfig()
	if err != nil {
		return fmt.Errorf("verify_url TLS settings: %w", err)
	}
	c.influx, err = verify.NewInflux(verify.InfluxConfig{URL: c.VerifyURL, Database: c.VerifyDatabase,
		Username: user, Password: password, TLS: tlsConfig, Timeout: time.Duration(p.RequestTimeout)})
	if err != nil {
		return fmt.Errorf("verify_url: %w", err)
	}
	// A new process does not know what its predecessor's Telegraf flushed.
	c.due = true
	c.lastWrite = p.now()
	return nil
}

func secretString(s config.Secret) (string, error) {
	if s.Empty() {
		return "", nil
	}
	b, err := s.Get()
	if err != nil {
		return "", err
	}
	defer b.Destroy()
	return b.String(), nil
}

// selfCheck runs at the end of a gather.
func (p *Plaid) selfCheck(ctx context.Context, acc telegraf.Accumulator, results []ItemResult) {
	c := &p.SelfCheck
	if c.influx == nil {
		return
	}
	now := p.now()
	for _, r := range results {
		// More than a page of changes is a first sync or a resync: history
		// older than the replay window, which only a check can bring back.
		if r.Added+r.Modified+r.Removed > syncPageSize {
			c.due = true
			c.lastWrite = now
		}
	}
	if !c.due && now.Sub(c.lastCheck) >= time.Duration(c.VerifyInterval) {
		c.due = true
	}
	if !c.due || now.Sub(c.lastWrite) < time.Duration(c.VerifyDelay) {
		return
	}
	c.lastCheck = now
	written := 0
	report, err := verify.Verify(ctx, p.ledger, c.influx, verify.Options{
		ItemTag: cleanTag,
		Metric:  pointMetric,
		Repair: func(kind string, m telegraf.Metric) error {
			if kind != "orphan" {
				acc.AddMetric(m)
				written++
			}
			return nil
		},
		Location:                  p.location,
		MissingMeasurementIsEmpty: true,
		Checks:                    p.accounts.checkedTags(),
	})
	if written > 0 {
		c.lastWrite = p.now()
	}
	switch {
	case err != nil && written > 0:
		p.Log.Warnf("self-check against InfluxDB stopped after writing %d points again: %v; it goes on at a later gather", written, err)
	case err != nil:
		// Try again once verify_delay has passed, not at every gather.
		c.lastWrite = p.now()
		p.Log.Warnf("self-check against InfluxDB: %v; trying again in %s", err, time.Duration(c.VerifyDelay))
	case report.Agree:
		c.due = false
		p.Log.Infof("self-check: InfluxDB agrees with the ledger (%d points, %d accounts, %s)", report.Points, len(report.Accounts), report.Elapsed.Round(time.Millisecond))
	default:
		missing, changed, orphans, accounts := report.Totals()
		if written == 0 {
			c.due = false
		}
		p.Log.Warnf("self-check: InfluxDB differs from the ledger in %d accounts: %d points missing, %d changed (written again: %d), %d orphans (run plaid-sync -repair to retract them)",
			accounts, missing, changed, written, orphans)
	}
}
