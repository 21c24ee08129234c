//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// testTimezone is the plugin's timezone in every test: transactions are
// written at midnight of their date in this zone, and the dashboard's cash
// flow groups days in it.
const testTimezone = "America/New_York"

// pipelineOptions choose the emulated bank and the intervals of one test.
type pipelineOptions struct {
	emulator plaidemu.Config
	// Plugin intervals; empty takes the defaults below.
	replayInterval, replayWindow, timeout string
	// interval is execd's interval; empty means 1s.
	interval string
	// wrap, when set, runs plaid-sync through another command (the broken
	// plugin); it receives the real command line.
	wrap func(command []string) []string
	// noStart leaves Telegraf stopped, for tests that start it themselves.
	noStart bool
	// telegrafDefaultBuffer runs Telegraf with its default buffer size.
	telegrafDefaultBuffer bool
	// noSelfCheck turns plaid-sync's check against InfluxDB off, for a
	// control experiment that shows what is lost without it.
	noSelfCheck bool
	// pluginOptions set options of plaid-sync's plugin.conf by name.
	pluginOptions map[string]string
}

// pipeline is one complete installation: the emulator as Plaid, InfluxDB,
// and Telegraf running plaid-sync, all on loopback in a temporary directory.
type pipeline struct {
	t        *testing.T
	tools    tools
	dir      string
	emu      *plaidemu.Emulator
	emuURL   string
	influx   *influxDB
	tg       *telegraf
	iniPath  string
	database string
}

func newPipeline(t *testing.T, opts pipelineOptions) *pipeline {
	t.Helper()
	tl := needTools(t)
	p := &pipeline{t: t, tools: tl, dir: t.TempDir()}

	emu, err := plaidemu.New(opts.emulator)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	p.emuURL, err = emu.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	p.emu = emu
	t.Cleanup(func() { _ = emu.Close() })
	p.writeAccountsFile(emu.Items())

	p.influx = startInfluxDB(t, tl.influxd, filepath.Join(p.dir, "influxdb"))

	stateDir := filepath.Join(p.dir, "state")
	pluginPath := filepath.Join(p.dir, "plaid-plugin.conf")
	plugin := pluginConf(t, pluginSettings{
		accountsFile:       p.iniPath,
		stateDir:           stateDir,
		linktool:           tl.linktool,
		timezone:           testTimezone,
		balanceInterval:    "1s",
		itemStatusInterval: "1s",
		replayInterval:     orDefault(opts.replayInterval, "24h"),
		replayWindow:       orDefault(opts.replayWindow, "30d"),
		timeout:            orDefault(opts.timeout, "5m"),
		verifyURL:          p.influx.url(),
	})
	if opts.noSelfCheck {
		plugin = setOption(t, plugin, "verify_url", `""`)
	}
	for key, value := range opts.pluginOptions {
		plugin = setOption(t, plugin, key, value)
	}
	writeFile(t, pluginPath, plugin, 0o644)

	settings := telegrafSettings{
		plaidSync:     tl.plaidSync,
		pluginConf:    pluginPath,
		influxURL:     p.influx.url(),
		interval:      orDefault(opts.interval, "1s"),
		restartDelay:  "1s",
		flushInterval: "1s",

		telegrafDefaultBuffer: opts.telegrafDefaultBuffer,
	}
	if opts.wrap != nil {
		settings.command = opts.wrap([]string{tl.plaidSync, "-config", pluginPath, "-poll_interval_disabled"})
	}
	conf := telegrafConf(t, settings)
	p.database = databaseOf(t, conf)
	p.tg = &telegraf{bin: tl.telegraf, confPath: filepath.Join(p.dir, "telegraf.conf"), logPath: filepath.Join(p.dir, "telegraf.log")}
	writeFile(t, p.tg.confPath, conf, 0o644)

	t.Cleanup(func() {
		if err := p.tg.stop(); err != nil {
			t.Errorf("stopping Telegraf: %v", err)
		}
		if t.Failed() {
			t.Logf("Telegraf log with plaid-sync's stderr (%s):\n%s", p.tg.logPath, tail(p.tg.logPath, 60))
		}
	})
	if !opts.noStart {
		p.startTelegraf()
	}
	return p
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// databaseOf reads the database that sample.conf writes to.
func databaseOf(t *testing.T, conf string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*database = "([^"]+)"`).FindStringSubmatch(conf)
	if m == nil {
		t.Fatal("sample.conf: no database option in [[outputs.influxdb]]")
	}
	return m[1]
}

// writeAccountsFile writes the INI file that linktool and the plugin share,
// pointing at the emulator, with one section per item.
func (p *pipeline) writeAccountsFile(items []plaidemu.ItemInfo) {
	var b strings.Builder
	fmt.Fprintf(&b, "[PLAID]\nclient_id = test_client_id\nsecret = test_secret\nenvironment = sandbox\nbase_url = %s\n", p.emuURL)
	for _, it := range items {
		fmt.Fprintf(&b, "\n[%s]\naccess_token = %s\n", it.Name, it.AccessToken)
	}
	p.iniPath = filepath.Join(p.dir, "plaid.ini")
	writeFile(p.t, p.iniPath, b.String(), 0o600)
}

func (p *pipeline) startTelegraf() {
	p.t.Helper()
	if err := p.tg.start(); err != nil {
		p.t.Fatal(err)
	}
}

// restartTelegraf stops Telegraf gracefully and starts it again.
func (p *pipeline) restartTelegraf() {
	p.t.Helper()
	if err := p.tg.stop(); err != nil {
		p.t.Fatalf("stopping Telegraf: %v", err)
	}
	p.startTelegraf()
}

// restartTelegrafAs restarts Telegraf under another host name, as a new
// container or a moved VM would run it.
func (p *pipeline) restartTelegrafAs(hostname string) {
	p.t.Helper()
	p.tg.agentConf = filepath.Join(p.dir, "agent.conf")
	if err := os.WriteFile(p.tg.agentConf, []byte("[agent]\n  hostname = "+tomlString(hostname)+"\n"), 0o600); err != nil {
		p.t.Fatal(err)
	}
	p.restartTelegraf()
}

// query runs InfluxQL against the pipeline's database.
func (p *pipeline) query(q string) []series {
	p.t.Helper()
	s, err := p.influx.query(p.database, q)
	if err != nil {
		p.t.Fatalf("InfluxQL: %v", err)
	}
	return s
}

// expectedStatus is what plaid_item's status says of a healthy or broken item.
func expectedStatus(it plaidemu.ItemTruth) string {
	if it.Error == "" {
		return "ok"
	}
	return it.Error
}

// settle waits until every item Plaid holds has reported on two gathers
// that ended after since, the last with the status Plaid's item has. The
// second gather began after since, so it saw every change made before
// since; and Telegraf writes in order, so when its plaid_item point is in
// InfluxDB, so are the points the plugin wrote before it.
func (p *pipeline) settle(since time.Time, timeout time.Duration) {
	p.t.Helper()
	start := time.Now()
	var waiting []string
	err := waitFor(timeout, 500*time.Millisecond, func() (bool, error) {
		gt := p.emu.GroundTruth()
		rows, err := p.influx.query(p.database, fmt.Sprintf(
			`SELECT count("status") AS "gathers", last("status") AS "status" FROM "plaid_item" WHERE time > %d GROUP BY "item"`, since.UnixNano()))
		if err != nil {
			return false, err
		}
		seen := map[string]series{}
		for _, s := range rows {
			seen[s.Tags["item"]] = s
		}
		waiting = waiting[:0]
		for _, it := range gt.Items {
			s, ok := seen[it.Name]
			if !ok {
				waiting = append(waiting, fmt.Sprintf("%q: no gather yet", it.Name))
				continue
			}
			gathers, status := asInt(s.Values[0][1]), fmt.Sprint(s.Values[0][2])
			if gathers < 2 || status != expectedStatus(it) {
				waiting = append(waiting, fmt.Sprintf("%q: %d gathers, last status %s, expected %s", it.Name, gathers, status, expectedStatus(it)))
			}
		}
		return len(waiting) == 0, nil
	})
	if err != nil {
		sort.Strings(waiting)
		p.t.Fatalf("the pipeline did not settle: %v\n  %s", err, strings.Join(waiting, "\n  "))
	}
	p.t.Logf("settled in %s", time.Since(start).Round(100*time.Millisecond))
}

// requireMatch settles and then compares InfluxDB with Plaid once.
func (p *pipeline) requireMatch(since time.Time, timeout time.Duration) plaidemu.GroundTruth {
	p.t.Helper()
	p.settle(since, timeout)
	gt := p.emu.GroundTruth()
	compareStart := time.Now()
	problems := p.compare(gt)
	p.t.Logf("compared in %s", time.Since(compareStart).Round(10*time.Millisecond))
	if len(problems) > 0 {
		p.t.Fatalf("InfluxDB differs from Plaid (%d problems):\n  %s", len(problems), strings.Join(limit(problems, 30), "\n  "))
	}
	p.t.Logf("InfluxDB matches Plaid: %d live transactions, sum %s, %d items", gt.Count, centsString(gt.SumCents), len(gt.Items))
	return gt
}

func limit(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(lines[:n:n], fmt.Sprintf("... and %d more", len(lines)-n))
}

// advance moves emulated time and returns when it happened.
func (p *pipeline) advance(days int) (plaidemu.AdvanceSummary, time.Time) {
	p.t.Helper()
	sum, err := p.emu.Advance(days)
	if err != nil {
		p.t.Fatal(err)
	}
	return sum, time.Now()
}

// balanceCalls counts /accounts/get calls per item at the emulator. With
// balance_interval at 1s every gather of a healthy item makes one, after its
// transactions, so the count tells gathers apart while InfluxDB is down.
func (p *pipeline) balanceCalls() map[string]int {
	out := map[string]int{}
	for item, calls := range p.emu.Stats().ByItem {
		out[item] = calls["/accounts/get"]
	}
	return out
}

// waitGathersAtPlaid waits until every item has made n more /accounts/get
// calls than in before: n gathers of every item ended.
func (p *pipeline) waitGathersAtPlaid(before map[string]int, n int, timeout time.Duration) {
	p.t.Helper()
	var behind []string
	err := waitFor(timeout, 250*time.Millisecond, func() (bool, error) {
		now := p.balanceCalls()
		behind = behind[:0]
		for _, it := range p.emu.Items() {
			if got := now[it.Name] - before[it.Name]; got < n {
				behind = append(behind, fmt.Sprintf("%q: %d of %d gathers", it.Name, got, n))
			}
		}
		return len(behind) == 0, nil
	})
	if err != nil {
		p.t.Fatalf("plaid-sync did not gather: %v\n  %s", err, strings.Join(behind, "\n  "))
	}
}

// syncCalls counts /transactions/sync calls so far.
func (p *pipeline) syncCalls() int { return p.emu.Stats().Calls["/transactions/sync"] }

// backfillPages estimates the /transactions/sync pages of a first sync of
// every item, at the plugin's 500 transactions a page.
func backfillPages(gt plaidemu.GroundTruth) int {
	pages := 0
	for _, it := range gt.Items {
		n := 0
		for _, a := range it.Accounts {
			n += a.Count
		}
		pages += (n + 499) / 500
	}
	return pages
}

// waitSyncCalls waits until the emulator has answered n sync calls.
func (p *pipeline) waitSyncCalls(n int, timeout time.Duration) {
	p.t.Helper()
	if err := waitFor(timeout, 20*time.Millisecond, func() (bool, error) { return p.syncCalls() >= n, nil }); err != nil {
		p.t.Fatalf("waiting for %d /transactions/sync calls (now %d): %v", n, p.syncCalls(), err)
	}
}

// killPlaidSync kills Telegraf's plaid-sync with SIGKILL, as the OOM killer
// would, and returns its pid.
func (p *pipeline) killPlaidSync() int {
	p.t.Helper()
	pids := p.tg.plaidSyncPIDs()
	if len(pids) != 1 {
		p.t.Fatalf("expected one plaid-sync process under Telegraf, found %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		p.t.Fatalf("killing plaid-sync: %v", err)
	}
	return pids[0]
}

// waitPlaidSyncRestarted waits until Telegraf runs a plaid-sync other than old.
func (p *pipeline) waitPlaidSyncRestarted(old int) {
	p.t.Helper()
	err := waitFor(30*time.Second, 50*time.Millisecond, func() (bool, error) {
		pids := p.tg.plaidSyncPIDs()
		return len(pids) == 1 && pids[0] != old, nil
	})
	if err != nil {
		p.t.Fatalf("Telegraf did not start plaid-sync again: %v", err)
	}
}

// plaidCall posts to a Plaid endpoint of the emulator with the test keys.
func (p *pipeline) plaidCall(path string, body map[string]any) {
	p.t.Helper()
	body["client_id"], body["secret"] = "test_client_id", "test_secret"
	b, _ := json.Marshal(body)
	resp, err := http.Post(p.emuURL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		p.t.Fatalf("%s: %s: %s", path, resp.Status, msg)
	}
}

// liveCount is the number of live transactions InfluxDB holds.
func (p *pipeline) liveCount() int64 {
	p.t.Helper()
	if s := p.query(qLiveTotal); len(s) > 0 {
		return asInt(s[0].Values[0][1])
	}
	return 0
}

// sumCents is sum(amount) over every transaction InfluxDB holds.
func (p *pipeline) sumCents() int64 {
	p.t.Helper()
	if s := p.query(qSumTotal); len(s) > 0 {
		return asCents(s[0].Values[0][1])
	}
	return 0
}
