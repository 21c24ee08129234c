package plaid

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/lptruth"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// harness runs the plugin against the Plaid emulator over HTTP on loopback.
type harness struct {
	t   testing.TB
	emu *plaidemu.Emulator
	url string
	dir string
	ini string
}

func newHarness(t testing.TB, cfg plaidemu.Config) *harness {
	t.Helper()
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.Secret = "plugin_test_client", "plugin_test_secret_0123456789"
	}
	emu, err := plaidemu.New(cfg)
	require.NoError(t, err)
	url, err := emu.Serve("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, emu.Close()) })
	h := &harness{t: t, emu: emu, url: url, dir: t.TempDir()}
	h.ini = filepath.Join(h.dir, "plaid.ini")
	h.writeINI(emu.Items()...)
	return h
}

// writeINI writes accounts_file as linktool would: [PLAID] plus one section
// per item, replacing the file atomically.
func (h *harness) writeINI(items ...plaidemu.ItemInfo) {
	h.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "# written by the test\n[PLAID]\nclient_id = %s\nsecret = %s\nenvironment = sandbox\nbase_url = %s\n",
		h.clientID(), h.secret(), h.url)
	for _, it := range items {
		fmt.Fprintf(&b, "\n[%s]\naccess_token = %s\n", it.Name, it.AccessToken)
	}
	h.writeRaw(b.String())
}

func (h *harness) writeRaw(content string) {
	h.t.Helper()
	tmp := h.ini + ".tmp"
	require.NoError(h.t, os.WriteFile(tmp, []byte(content), 0o600))
	require.NoError(h.t, os.Rename(tmp, h.ini))
}

func (h *harness) clientID() string { return "plugin_test_client" }
func (h *harness) secret() string   { return "plugin_test_secret_0123456789" }

// plugin returns an initialised plugin on the harness's files.
func (h *harness) plugin(configure ...func(*Plaid)) *Plaid {
	h.t.Helper()
	p := newPlugin(h.ini, filepath.Join(h.dir, "state"), testutil.Logger{Quiet: true})
	for _, c := range configure {
		c(p)
	}
	require.NoError(h.t, p.Init())
	p.retry = retryPolicy{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond, MaxAttempts: 6}
	h.t.Cleanup(p.Stop)
	return p
}

// delivery is a testutil.Accumulator whose metrics count as delivered, as
// the shim reports them once written to stdout.
type delivery struct {
	acc      *testutil.Accumulator
	accepted int
}

func newDelivery() *delivery { return &delivery{acc: &testutil.Accumulator{}} }

// gather runs one gather and delivers what it wrote.
func (d *delivery) gather(t testing.TB, p *Plaid) []telegraf.Metric {
	t.Helper()
	require.NoError(t, p.Gather(d.acc))
	all := d.acc.GetTelegrafMetrics()
	fresh := all[d.accepted:]
	for _, m := range fresh {
		m.Accept()
	}
	d.accepted = len(all)
	return fresh
}

// newInfluxView returns a view that folds points as InfluxDB stores them.
func newInfluxView() *view { return &view{lptruth.NewView()} }

type view struct{ *lptruth.View }

func (v *view) add(metrics ...telegraf.Metric) {
	for _, m := range metrics {
		v.Add(m.Name(), m.Tags(), m.Fields(), m.Time())
	}
}

func requireMatchesTruth(t *testing.T, v *view, gt plaidemu.GroundTruth, items ...string) {
	t.Helper()
	require.NoError(t, v.Check(gt, items...))
}

func duration(d time.Duration) config.Duration { return config.Duration(d) }

// newPlugin is the plugin as Telegraf creates it, in UTC, on these files.
func newPlugin(accountsFile, stateDir string, log telegraf.Logger) *Plaid {
	p := New()
	p.AccountsFile, p.StateDir, p.Timezone, p.Log = accountsFile, stateDir, "UTC", log
	return p
}
