//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// instance is one more Telegraf + plaid-sync, with its own state_dir, on
// the pipeline's accounts_file and InfluxDB: another host of a fleet.
type instance struct {
	stateDir string
	tg       *telegraf
}

func (p *pipeline) pluginConfFor(stateDir, shard string) string {
	conf := pluginConf(p.t, pluginSettings{
		accountsFile: p.iniPath, stateDir: stateDir, linktool: p.tools.linktool, timezone: testTimezone,
		balanceInterval: "1s", itemStatusInterval: "1s", replayInterval: "24h", replayWindow: "30d",
		timeout: "5m", verifyURL: p.influx.url(),
	})
	if shard != "" {
		conf = setOption(p.t, conf, "shard", tomlString(shard))
		conf = setOption(p.t, conf, "verify_delay", `"2s"`)
	}
	return conf
}

func (p *pipeline) addInstance(name, shard string) *instance {
	p.t.Helper()
	dir := filepath.Join(p.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	in := &instance{stateDir: filepath.Join(dir, "state")}
	pluginPath := filepath.Join(dir, "plaid-plugin.conf")
	writeFile(p.t, pluginPath, p.pluginConfFor(in.stateDir, shard), 0o644)
	conf := telegrafConf(p.t, telegrafSettings{plaidSync: p.tools.plaidSync, pluginConf: pluginPath, influxURL: p.influx.url(),
		interval: "1s", restartDelay: "1s", flushInterval: "1s"})
	in.tg = &telegraf{bin: p.tools.telegraf, confPath: filepath.Join(dir, "telegraf.conf"), logPath: filepath.Join(dir, "telegraf.log")}
	writeFile(p.t, in.tg.confPath, conf, 0o644)
	if err := in.tg.start(); err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() {
		if err := in.tg.stop(); err != nil {
			p.t.Errorf("stopping Telegraf %s: %v", name, err)
		}
		if p.t.Failed() {
			p.t.Logf("Telegraf %s log:\n%s", name, tail(in.tg.logPath, 40))
		}
	})
	return in
}

// Two instances sync the same items into one InfluxDB (active-active):
// InfluxDB holds each transaction once and its sums equal the bank's, after
// the backfill and after a day of changes at the bank.
func TestActiveActiveIntoOneInfluxDB(t *testing.T) {
	p := newPipeline(t, pipelineOptions{emulator: plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 60, TxPerDay: 4}})
	since := time.Now()
	second := p.addInstance("second", "")
	p.requireMatch(since, 2*time.Minute)
	_, since = p.advance(1)
	// Both instances report into the same plaid_item series, so one
	// settling may be the other instance's: settle once more, after both
	// have gathered since the change.
	p.settle(since, 2*time.Minute)
	p.requireMatch(time.Now(), 2*time.Minute)
	t.Logf("live %d, sum %s in InfluxDB", p.liveCount(), centsString(p.sumCents()))

	// The second instance did sync every item too.
	if err := second.tg.stop(); err != nil {
		t.Fatal(err)
	}
	if names := ledgerItems(t, second.stateDir); len(names) != 3 {
		t.Fatalf("the second instance synced %v, want the 3 items", names)
	}
}

func ledgerItems(t *testing.T, stateDir string) []string {
	t.Helper()
	l, _, err := ledger.Open(stateDir, ledger.Options{SnapshotInterval: -1})
	if err != nil {
		t.Fatalf("%s: %v", stateDir, err)
	}
	defer l.Close()
	names, err := l.Items()
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Three shards on one accounts_file: together they write what the bank
// holds, an item added to the file while they run included, and each item
// is in exactly one shard's state. Each shard's self-check covers its own
// items: it finds InfluxDB in agreement and never takes the other shards'
// points for orphans.
func TestThreeShardsCoverEveryItemOnce(t *testing.T) {
	p := newPipeline(t, pipelineOptions{emulator: plaidemu.Config{Seed: 16, Items: 7, HistoryDays: 30, TxPerDay: 3}, noStart: true})
	items := p.emu.Items()
	p.writeAccountsFile(items[:6])
	writeFile(t, filepath.Join(p.dir, "plaid-plugin.conf"), p.pluginConfFor(filepath.Join(p.dir, "state"), "0/3"), 0o644)
	p.startTelegraf()
	shards := []*instance{{stateDir: filepath.Join(p.dir, "state"), tg: p.tg}, p.addInstance("shard1", "1/3"), p.addInstance("shard2", "2/3")}
	p.waitSyncCalls(6, time.Minute)

	// The seventh bank is linked while the three run.
	since := time.Now()
	p.writeAccountsFile(items)
	p.requireMatch(since, 2*time.Minute)
	agrees := regexp.MustCompile(`self-check: InfluxDB agrees with the ledger \((\d+) points, (\d+) accounts`)
	orphans := regexp.MustCompile(`self-check: InfluxDB differs .* (\d+) orphans`)
	deadline := time.Now().Add(time.Minute)
	for i, s := range shards {
		for !agrees.MatchString(s.tg.log()) && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
		log := s.tg.log()
		m := agrees.FindAllStringSubmatch(log, -1)
		if m == nil {
			t.Fatalf("shard %d/3: no self-check found InfluxDB in agreement within a minute", i)
		}
		for _, o := range orphans.FindAllStringSubmatch(log, -1) {
			if o[1] != "0" {
				t.Errorf("shard %d/3: the self-check reported %s orphans: %s", i, o[1], o[0])
			}
		}
		t.Logf("shard %d/3 self-check: %s points in %s accounts agree", i, m[len(m)-1][1], m[len(m)-1][2])
	}

	for i, s := range shards {
		if err := s.tg.stop(); err != nil {
			t.Fatalf("stopping shard %d: %v", i, err)
		}
	}
	// -verify of one shard's ledger covers that shard's items only.
	if r := p.runVerify(nil, p.influx.url(), p.database, "-verify"); r.code != 0 {
		t.Fatalf("-verify of shard 0/3: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	owner := map[string][]int{}
	for i, s := range shards {
		names := ledgerItems(t, s.stateDir)
		for _, n := range names {
			owner[n] = append(owner[n], i)
		}
		t.Logf("shard %d/3 synced %d items: %v", i, len(names), names)
	}
	for _, it := range items {
		if got := owner[it.Name]; len(got) != 1 {
			t.Errorf("%s is in the state of shards %v, want exactly one", it.Name, got)
		}
	}
	if len(owner) != len(items) {
		t.Errorf("the shards hold %d items, want %d: %v", len(owner), len(items), slices.Sorted(func(yield func(string) bool) {
			for k := range owner {
				if !yield(k) {
					return
				}
			}
		}))
	}
}
