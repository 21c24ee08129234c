package plaid

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func gatheredItems(metrics []telegraf.Metric) []string {
	var names []string
	for _, m := range metrics {
		if m.Name() == measurementItem {
			names = append(names, m.Tags()["item"])
		}
	}
	return names
}

func TestAccountsFileIsReloadedWhenItChanges(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 2, Items: 3, HistoryDays: 20, TxPerDay: 4})
	items := h.emu.Items()
	h.writeINI(items[0])
	p := h.plugin()
	d := newDelivery()
	view := newInfluxView()

	metrics := d.gather(t, p)
	view.add(metrics...)
	require.Equal(t, []string{items[0].Name}, gatheredItems(metrics))

	// linktool links two more banks: the next gather syncs them, no restart.
	h.writeINI(items...)
	metrics = d.gather(t, p)
	view.add(metrics...)
	require.ElementsMatch(t, []string{items[0].Name, items[1].Name, items[2].Name}, gatheredItems(metrics))
	requireMatchesTruth(t, view, h.emu.GroundTruth())

	// A disabled item stops.
	var b strings.Builder
	fmt.Fprintf(&b, "[PLAID]\nclient_id = %s\nsecret = %s\nenvironment = sandbox\nbase_url = %s\n", h.clientID(), h.secret(), h.url)
	for i, it := range items {
		fmt.Fprintf(&b, "\n[%s]\naccess_token = %s\n", it.Name, it.AccessToken)
		if i == 0 {
			b.WriteString("disabled = true\n")
		}
	}
	h.writeRaw(b.String())
	metrics = d.gather(t, p)
	require.ElementsMatch(t, []string{items[1].Name, items[2].Name}, gatheredItems(metrics))

	// A broken file is reported and the last good one stays in use.
	h.writeRaw("[PLAID]\nclient_id = x\n[Broken\n")
	metrics = d.gather(t, p)
	require.ElementsMatch(t, []string{items[1].Name, items[2].Name}, gatheredItems(metrics))
}

func TestSecondInstanceOnTheSameStateDirFails(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 2, Items: 1, HistoryDays: 5, TxPerDay: 2})
	h.plugin()
	second := newPlugin(h.ini, h.dir+"/state", testutil.Logger{Quiet: true})
	err := second.Init()
	require.ErrorContains(t, err, "is in use by another plaid-sync process")
}

func TestInitNamesTheBadSetting(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 2, Items: 1, HistoryDays: 5, TxPerDay: 2})
	cases := []struct {
		name   string
		modify func(*Plaid)
		want   string
	}{
		{"balances", func(p *Plaid) { p.Balances = "sometimes" }, `balances: "sometimes"`},
		{"timezone", func(p *Plaid) { p.Timezone = "Mars/Olympus" }, `timezone: "Mars/Olympus"`},
		{"days_requested", func(p *Plaid) { p.DaysRequested = 731 }, "days_requested: 731"},
		{"max_concurrency", func(p *Plaid) { p.MaxConcurrency = -1 }, "max_concurrency: -1"},
		{"timeout", func(p *Plaid) { p.Timeout = duration(time.Millisecond) }, "timeout: 1ms"},
		{"replay_interval", func(p *Plaid) { p.ReplayInterval = 0 }, `replay_interval: 0s is below the minimum of 1m0s (set replay_window = "0s" to turn replay off)`},
		{"request_timeout zero", func(p *Plaid) { p.RequestTimeout = 0 }, "request_timeout: 0s"},
		{"linktool", func(p *Plaid) { p.Linktool = "" }, "linktool: empty"},
		{"environment", func(p *Plaid) { p.BaseURL = ""; p.Environment = "development" }, "development"},
		{"accounts_file missing", func(p *Plaid) { p.AccountsFile = h.dir + "/missing.ini" }, "does not exist"},
		{"state_dir", func(p *Plaid) { p.StateDir = "" }, "state_dir: required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlugin(h.ini, t.TempDir(), testutil.Logger{Quiet: true})
			if tc.name == "environment" {
				h.writeRaw("[PLAID]\nclient_id = a\nsecret = b\nenvironment = development\n")
			} else {
				h.writeINI(h.emu.Items()...)
			}
			tc.modify(p)
			err := p.Init()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			if p.ledger != nil {
				p.Stop()
			}
		})
	}
}

func TestMalformedAccountsFileNamesTheLine(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 2, Items: 1, HistoryDays: 5, TxPerDay: 2})
	h.writeRaw("[PLAID]\nclient_id = a\nsecret = b\n\n[Test Chase\naccess_token = x\n")
	p := newPlugin(h.ini, t.TempDir(), testutil.Logger{Quiet: true})
	err := p.Init()
	require.ErrorContains(t, err, h.ini+":5")
}

func TestUndeliveredPointsAreWrittenByTheNextProcess(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 8, Items: 2, HistoryDays: 300, TxPerDay: 5})
	first := h.plugin()
	// Nothing the first process wrote is delivered: it dies with its output.
	require.NoError(t, first.Gather(&testutil.Accumulator{}))
	first.Stop()

	// By the next start one bank needs its login repaired: what was synced
	// for it before still reaches InfluxDB.
	items := h.emu.Items()
	_, err := h.emu.AddFault(plaidemu.Fault{Endpoint: "*", Item: items[0].Name, ErrorCode: "ITEM_LOGIN_REQUIRED"})
	require.NoError(t, err)
	second := h.plugin()
	d := newDelivery()
	view := newInfluxView()
	metrics := d.gather(t, second)
	view.add(metrics...)
	requireMatchesTruth(t, view, h.emu.GroundTruth())
	require.Equal(t, "ITEM_LOGIN_REQUIRED", lastItemField(t, metrics, items[0].Name, "status"))
	require.EqualValues(t, 0, lastItemField(t, metrics, items[1].Name, "added"), "the second process synced nothing new")
}

func TestReplayHealsPointsLostDownstream(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 12, Items: 2, HistoryDays: 100, TxPerDay: 6})
	first := h.plugin(func(p *Plaid) { p.ReplayWindow = duration(30 * 24 * time.Hour) })
	d := newDelivery()
	view := newInfluxView()
	view.add(d.gather(t, first)...)

	// Days pass while InfluxDB is down: what the plugin wrote is delivered to
	// Telegraf and lost there.
	for i := 0; i < 3; i++ {
		_, err := h.emu.Advance(2)
		require.NoError(t, err)
		d.gather(t, first)
	}
	require.NotEqual(t, h.emu.GroundTruth().SumCents, totalCents(view))
	first.Stop()

	// The next process replays the window from its index, calling nothing.
	second := h.plugin(func(p *Plaid) { p.ReplayWindow = duration(30 * 24 * time.Hour) })
	h.emu.ResetStats()
	view.add(newDelivery().gather(t, second)...)
	requireMatchesTruth(t, view, h.emu.GroundTruth())
}

func totalCents(v *view) int64 {
	var sum int64
	for _, accounts := range v.TransactionTotals() {
		for _, t := range accounts {
			sum += t.SumCents
		}
	}
	return sum
}

func TestNewLinkUnderTheSameNameRetractsTheOldOne(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 14, Items: 1, HistoryDays: 40, TxPerDay: 5})
	old := h.emu.Items()[0]
	p := h.plugin()
	d := newDelivery()
	view := newInfluxView()
	view.add(d.gather(t, p)...)

	// The user removes the bank and links it again under the same name.
	token := newTestClient(t, h).link(old.InstitutionID)
	relinked := old
	relinked.AccessToken = token
	h.writeINI(relinked)
	view.add(d.gather(t, p)...) // tombstones for the old link; the new one is not ready yet
	view.add(d.gather(t, p)...)

	var newItem plaidemu.ItemTruth
	for _, it := range h.emu.GroundTruth().Items {
		if it.ItemID != old.ItemID && it.InstitutionID == old.InstitutionID {
			newItem = it
		}
	}
	require.NotEmpty(t, newItem.ItemID)
	totals := view.TransactionTotals()[old.Name]
	var live int
	var sum int64
	for _, acct := range totals {
		live += acct.Count
		sum += acct.SumCents
	}
	var wantLive int
	var wantSum int64
	for _, acct := range newItem.Accounts {
		wantLive += acct.Count
		wantSum += acct.SumCents
	}
	require.Equal(t, wantLive, live, "only the new link's transactions are live")
	require.Equal(t, wantSum, sum)
}

func TestWarnsWhenTheAccountsFileIsReadableByOthers(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 2, Items: 1, HistoryDays: 5, TxPerDay: 2})
	require.NoError(t, os.Chmod(h.ini, 0o644))
	log := &testutil.CaptureLogger{}
	h.plugin(func(p *Plaid) { p.Log = log })
	require.NotEmpty(t, log.Warnings(), "no warning about a world-readable accounts file")
	require.Contains(t, strings.Join(log.Warnings(), "\n"), h.ini)
}

// A failing bank is one gather error per gather, as Telegraf counts them,
// naming the repair; a healthy bank is none.
func TestAFailingBankIsAGatherError(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 2, Items: 2, HistoryDays: 5, TxPerDay: 2})
	p := h.plugin()
	d := newDelivery()
	d.gather(t, p)
	require.Empty(t, d.acc.Errors, "healthy banks are no errors")

	broken := h.emu.Items()[0]
	_, err := h.emu.AddFault(plaidemu.Fault{Item: broken.Name, Endpoint: "*", ErrorCode: "ITEM_LOGIN_REQUIRED"})
	require.NoError(t, err)
	for gather := 1; gather <= 2; gather++ {
		d.gather(t, p)
		require.Len(t, d.acc.Errors, gather, "one error per failing bank per gather: %v", d.acc.Errors)
		msg := d.acc.Errors[gather-1].Error()
		require.Contains(t, msg, "["+broken.Name+"] ITEM_LOGIN_REQUIRED")
		require.Contains(t, msg, "run: linktool -c "+h.ini+" --update '"+broken.Name+"'")
	}
}

// replay_window = "0s" turns the replay off: a new process writes nothing
// it did not change.
func TestZeroReplayWindowTurnsReplayOff(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 3, Items: 1, HistoryDays: 10, TxPerDay: 3})
	state := filepath.Join(h.dir, "state")
	p := h.plugin(func(p *Plaid) { p.StateDir = state })
	first := newDelivery().gather(t, p)
	p.Stop()
	require.NotEmpty(t, transactionPoints(first))

	p = h.plugin(func(p *Plaid) { p.StateDir = state; p.ReplayWindow = 0 })
	require.Empty(t, transactionPoints(newDelivery().gather(t, p)), "replayed with replay_window = 0s")
	p.Stop()
	p = h.plugin(func(p *Plaid) { p.StateDir = state })
	require.Len(t, transactionPoints(newDelivery().gather(t, p)), len(transactionPoints(first)), "the default window replays the 10 days")
}

func transactionPoints(metrics []telegraf.Metric) []telegraf.Metric {
	var out []telegraf.Metric
	for _, m := range metrics {
		if m.Name() == measurementTransaction {
			out = append(out, m)
		}
	}
	return out
}

func TestRenamedSectionDoesNotCountTwice(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 15, Items: 2, HistoryDays: 60, TxPerDay: 5})
	items := h.emu.Items()
	p := h.plugin()
	d := newDelivery()
	view := newInfluxView()
	view.add(d.gather(t, p)...)

	// The user renames a section; the access token stays.
	renamed := items[0]
	renamed.Name = "Chase Checking"
	h.writeINI(renamed, items[1])
	view.add(d.gather(t, p)...)

	totals := view.TransactionTotals()
	var oldLive int
	var oldSum int64
	for _, acct := range totals[items[0].Name] {
		oldLive += acct.Count
		oldSum += acct.SumCents
	}
	require.Zero(t, oldLive, "transactions still live under the old name")
	require.Zero(t, oldSum)
	// Under the new name the item matches what Plaid holds for it.
	gt := h.emu.GroundTruth()
	for i := range gt.Items {
		if gt.Items[i].Name == items[0].Name {
			gt.Items[i].Name = renamed.Name
		}
	}
	requireMatchesTruth(t, view, gt, renamed.Name, items[1].Name)
}

// A section without a usable token is skipped with one warning and shows
// as an item with CONFIG_ERROR; the other banks sync.
func TestASectionWithoutATokenIsSkippedAndReported(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 5, Items: 1, HistoryDays: 10, TxPerDay: 3})
	good := h.emu.Items()[0]
	h.writeRaw(fmt.Sprintf("[PLAID]\nclient_id = %s\nsecret = %s\nenvironment = sandbox\nbase_url = %s\n\n[%s]\naccess_token = %s\n\n[Old Bank]\n# access_token = gone\nitem_id = x\n",
		h.clientID(), h.secret(), h.url, good.Name, good.AccessToken))
	log := &testutil.CaptureLogger{}
	p := h.plugin(func(p *Plaid) { p.Log = log })
	warnings := strings.Join(log.Warnings(), "\n")
	require.Contains(t, warnings, h.ini+":10: item [Old Bank] has no access_token")
	require.Contains(t, warnings, "linktool -c "+h.ini+" --link 'Old Bank'")

	view := newInfluxView()
	d := newDelivery()
	metrics := d.gather(t, p)
	view.add(metrics...)
	requireMatchesTruth(t, view, h.emu.GroundTruth())
	var skipped map[string]any
	for _, m := range metrics {
		if m.Name() == measurementItem && m.Tags()["item"] == "Old Bank" {
			skipped = m.Fields()
		}
	}
	require.NotNil(t, skipped, "no plaid_item for the skipped section")
	require.Equal(t, "CONFIG_ERROR", skipped["status"])
	require.Equal(t, "linktool -c "+h.ini+" --link 'Old Bank'", skipped["update_command"])
	require.Len(t, p.Results(), 2)
	require.True(t, p.Results()[1].Failed())
	log.Clear()
	d.gather(t, p)
	require.Empty(t, log.Warnings(), "the warning comes once, when the file is read")
}
