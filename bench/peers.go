package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/plaid/plaid-go/v42/plaid"

	"github.com/plaid-sync/telegraf-plaid/internal/lptruth"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// The peers: what a user could run instead of telegraf-plaid, on the same
// data. "Do it yourself" is a real Telegraf polling Plaid with inputs.http
// and the json_v2 parser, as its documentation shows: one POST per item to
// /transactions/sync without a cursor (it has nowhere to keep one) and one
// to /accounts/get. The Python plaid-sync is measured by its call pattern
// (refetch.go). Each runs against an emulator of its own, started with the
// same options and seed, so that all see the same bank.
const (
	peerItems       = 10
	peerHistoryDays = 90
	// peerDays is how many emulated days of changes (new, posted and
	// corrected transactions) come after the first gather.
	peerDays = 15
	// diyInterval is the DIY Telegraf's agent interval: short, so that the
	// days pass quickly; the harness waits for gathers, not for time.
	diyInterval = time.Second
	// diyPageSize is the most /transactions/sync returns in one call; a
	// single inputs.http request cannot follow has_more.
	diyPageSize = 500
	// diyGatherTimeout bounds the wait for one DIY gather.
	diyGatherTimeout = time.Minute
	// diySettle is a pause without responses that ends a DIY gather: far
	// shorter than diyInterval, far longer than writing a response.
	diySettle = 100 * time.Millisecond
)

// peerRates are the banks the peers run on, in transactions a day per item:
// at 7 (the rate of the other scenarios) an item's 90 days are more than
// one page of /transactions/sync, at 3 they fit in one even after the days
// of changes. Costs are reported for the first, correctness for both.
var peerRates = []float64{7, 3}

// telegrafVersion is the Telegraf that scripts/bench.sh builds for the DIY
// peer (the version scripts/setup.sh builds for the end-to-end tests).
const telegrafVersion = "v1.37.2"

// Correctness compares what a store holds after the run with the bank.
type Correctness struct {
	TruthCount    int   // live transactions at the bank, pending included
	TruthSumCents int64 // their sum(amount)
	// Held and HeldSumCents are what InfluxDB would hold: one point per
	// measurement, tag set and timestamp, the last write winning; a
	// tombstone (removed = true) is not a live transaction.
	Held         int
	HeldSumCents int64
	// Lines and LinesSumCents count every transaction line written, as a
	// file keeps them, or InfluxDB when each line's time is the gather's.
	Lines         int
	LinesSumCents int64
	// Stale are held transaction ids the bank no longer has, Missing live
	// ones the store lacks; -1 when the store's points carry no
	// transaction_id tag to compare.
	Stale, Missing int
}

// OffCents is |sum(amount) held - the bank's|.
func (c Correctness) OffCents() int64 { return absCents(c.HeldSumCents - c.TruthSumCents) }

// LinesOffCents is |sum(amount) of every line written - the bank's|.
func (c Correctness) LinesOffCents() int64 { return absCents(c.LinesSumCents - c.TruthSumCents) }

func absCents(c int64) int64 {
	if c < 0 {
		return -c
	}
	return c
}

// Exact is true when the store holds the bank's transactions and sum.
func (c Correctness) Exact() bool {
	return c.Held == c.TruthCount && c.OffCents() == 0
}

// checkOutput folds the line protocol a peer wrote the way InfluxDB stores
// it and compares its plaid_transaction points with the bank's truth.
// bankIDs are the live transaction ids, for the stale and missing counts of
// a store that tags points with transaction_id; nil skips those.
func checkOutput(lp []byte, truth Truth, bankIDs map[string]bool) (Correctness, error) {
	c := Correctness{TruthCount: truth.Count, TruthSumCents: truth.SumCents, Stale: -1, Missing: -1}
	view := lptruth.NewView()
	if err := view.AddLineProtocolBytes(lp); err != nil {
		return c, err
	}
	for _, accounts := range view.TransactionTotals() {
		for _, t := range accounts {
			c.Held += t.Count
			c.HeldSumCents += t.SumCents
		}
	}
	var err error
	if c.Lines, c.LinesSumCents, err = lineTotals(lp, "plaid_transaction"); err != nil {
		return c, err
	}
	if bankIDs == nil {
		return c, nil
	}
	held := map[string]bool{}
	for _, p := range view.Points("plaid_transaction") {
		id, ok := p.Tags["transaction_id"]
		if !ok {
			return c, nil
		}
		if removed, _ := p.Fields["removed"].(bool); !removed {
			held[id] = true
		}
	}
	c.Stale, c.Missing = 0, 0
	for id := range held {
		if !bankIDs[id] {
			c.Stale++
		}
	}
	for id := range bankIDs {
		if !held[id] {
			c.Missing++
		}
	}
	return c, nil
}

// lineTotals counts the lines of measurement and sums their amount field.
func lineTotals(lp []byte, measurement string) (int, int64, error) {
	dec := lineprotocol.NewDecoderWithBytes(lp)
	lines := 0
	var sum float64
	for dec.Next() {
		m, err := dec.Measurement()
		if err != nil {
			return 0, 0, err
		}
		if string(m) != measurement {
			continue
		}
		lines++
		for {
			k, v, err := dec.NextField()
			if err != nil {
				return 0, 0, err
			}
			if k == nil {
				break
			}
			if string(k) == "amount" && v.Kind() == lineprotocol.Float {
				sum += v.FloatV()
			}
		}
	}
	return lines, int64(math.Round(sum * 100)), dec.Err()
}

// bankTransactionIDs reads an item's whole history with a cursorless
// /transactions/sync, page after page, and returns its live transaction ids.
func bankTransactionIDs(ctx context.Context, client *plaid.APIClient, accessToken string) (map[string]bool, error) {
	ids := map[string]bool{}
	cursor := ""
	for page := 1; ; page++ {
		if page > 10_000 {
			return nil, errors.New("/transactions/sync: has_more after 10,000 pages")
		}
		req := plaid.NewTransactionsSyncRequest(accessToken)
		req.SetCount(diyPageSize)
		if cursor != "" {
			req.SetCursor(cursor)
		}
		resp, httpResp, err := client.PlaidApi.TransactionsSync(ctx).TransactionsSyncRequest(*req).Execute()
		if err != nil {
			return nil, fmt.Errorf("/transactions/sync: %w", plaidapi.FromPlaidGo(err, httpResp))
		}
		for _, t := range resp.Added {
			ids[t.TransactionId] = true
		}
		for _, r := range resp.Removed {
			delete(ids, r.TransactionId)
		}
		if !resp.HasMore {
			return ids, nil
		}
		cursor = resp.NextCursor
	}
}

// diyTelegrafConfig is the DIY peer's telegraf.conf: per item an
// inputs.http for /transactions/sync and one for /accounts/get, credentials
// in the JSON body, the json_v2 parser, a file output. Transactions are
// tagged with their id and stamped with their date, so that InfluxDB would
// overwrite a transaction sent again instead of adding it: the best a
// stateless poller can do.
func diyTelegrafConfig(baseURL string, items []plaidemu.ItemInfo, outFile string) (string, error) {
	var b strings.Builder
	b.WriteString(telegrafAgentConfig(outFile))
	for _, it := range items {
		credentials := map[string]any{"client_id": ClientID, "secret": Secret, "access_token": it.AccessToken}
		if err := writeDIYInput(&b, baseURL+endpointAccountsGet, credentials, it.Name, "plaid_balance", `
      path = "accounts"
      tags = ["account_id", "name"]
      included_keys = ["balances_current", "balances_available"]`); err != nil {
			return "", err
		}
		credentials["count"] = diyPageSize
		if err := writeDIYInput(&b, baseURL+endpointSync, credentials, it.Name, "plaid_transaction", `
      path = "added"
      timestamp_key = "date"
      timestamp_format = "2006-01-02"
      tags = ["account_id", "transaction_id"]
      included_keys = ["date", "amount", "pending", "name"]`); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// telegrafAgentConfig is the agent of the harness's Telegrafs, gathering
// and flushing every diyInterval, and a file output to outFile.
func telegrafAgentConfig(outFile string) string {
	return fmt.Sprintf(`[agent]
  interval = %q
  round_interval = false
  collection_jitter = "0s"
  flush_interval = %q
  flush_jitter = "0s"
  omit_hostname = true

[[outputs.file]]
  files = [%q]
  data_format = "influx"
`, diyInterval, diyInterval, outFile)
}

// writeDIYInput writes one inputs.http of the DIY configuration: body as
// JSON posted to url, the answer parsed by json_v2 into measurement with
// the object table's options, the item as a tag.
func writeDIYInput(b *strings.Builder, url string, body map[string]any, item, measurement, object string) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, `
[[inputs.http]]
  urls = [%q]
  method = "POST"
  headers = {"Content-Type" = "application/json"}
  body = %q
  data_format = "json_v2"
  [inputs.http.tags]
    item = %q
  [[inputs.http.json_v2]]
    measurement_name = %q
    [[inputs.http.json_v2.object]]%s
`, url, raw, item, measurement, object)
	return nil
}

// diyEndpoints are what the DIY Telegraf calls once per item per gather.
var diyEndpoints = []string{endpointSync, endpointAccountsGet}

// PeerRun is what one peer cost and what it holds at the end.
type PeerRun struct {
	Gathers        int     // gathers measured
	CPUPerGather   float64 // ms, mean over the gathers
	PeakRSS        float64 // MiB, the process's high-water mark
	CallsPerItem   map[string]float64
	BytesPerItem   float64 // response bytes per item per gather
	BilledPerItem  float64 // /accounts/balance/get per item per gather
	Correct        Correctness
	FirstGatherCPU float64 // ms; plaid-sync's backfill
	RereadPerItem  float64 // transactions re-read per item per run (the Python pattern)
	// Host is the Telegraf that runs plaid-sync with inputs.execd, measured
	// over steady gathers; nil when not measured.
	Host *HostRun
}

// HostRun is a Telegraf running plaid-sync with inputs.execd.
type HostRun struct {
	Gathers                        int
	TelegrafCPU, PluginCPU         float64 // ms per gather
	TelegrafPeakRSS, PluginPeakRSS float64 // MiB
}

// Peers runs the DIY Telegraf, plaid-sync, and the Python plaid-sync's call
// pattern on the same data through the same days of changes (section 9).
func (env *Env) Peers() ([]Row, error) {
	telegraf := env.bin("telegraf")
	if _, err := os.Stat(telegraf); err != nil {
		return nil, fmt.Errorf("no Telegraf for the DIY peer (%w): scripts/bench.sh builds it with go install -tags custom,inputs.http,inputs.execd,parsers.json_v2,outputs.file,outputs.influxdb github.com/influxdata/telegraf/cmd/telegraf@%s", err, telegrafVersion)
	}
	var rows []Row
	for i, rate := range peerRates {
		opts := EmulatorOptions{Items: peerItems, HistoryDays: peerHistoryDays, TxPerDay: rate}
		env.logf("peers: %d items, %d days of history at %g a day, then %d days of changes; Telegraf inputs.http + json_v2, plaid-sync, the Python plaid-sync's calls", peerItems, peerHistoryDays, rate, peerDays)
		diy, diyTruth, err := env.diyPeer(telegraf, opts)
		if err != nil {
			return rows, fmt.Errorf("DIY Telegraf: %w", err)
		}
		ours, python, truth, err := env.pluginPeers(opts, i == 0)
		if err != nil {
			return rows, err
		}
		if truth != diyTruth {
			return rows, fmt.Errorf("the two emulators disagree after %d days: %+v and %+v", peerDays, truth, diyTruth)
		}
		if i == 0 {
			rows = append(rows, PeerCostRows(diy, ours, python)...)
		}
		rows = append(rows, PeerCorrectnessRows(rate, diy, ours)...)
	}
	return rows, nil
}

// diyPeer runs the DIY Telegraf against an emulator of its own: a gather,
// then a day of changes and a gather that starts after it, peerDays times.
func (env *Env) diyPeer(telegraf string, opts EmulatorOptions) (PeerRun, Truth, error) {
	var run PeerRun
	emu, err := StartEmulator(env.bin("plaid-emulator"), opts)
	if err != nil {
		return run, Truth{}, err
	}
	defer emu.Close()
	items, err := emu.Items()
	if err != nil {
		return run, Truth{}, err
	}
	dir, err := env.dir(fmt.Sprintf("peers-diy-%g", opts.TxPerDay))
	if err != nil {
		return run, Truth{}, err
	}
	outFile := dir + "/telegraf-out.lp"
	conf, err := diyTelegrafConfig(emu.URL, items, outFile)
	if err != nil {
		return run, Truth{}, err
	}
	confFile := dir + "/telegraf.conf"
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		return run, Truth{}, err
	}
	proc, err := startTelegraf(telegraf, confFile)
	if err != nil {
		return run, Truth{}, err
	}
	defer proc.kill()

	// The first gather, then the counters and the CPU from there on.
	if err := proc.waitGathers(emu, items, 1, diyEndpoints...); err != nil {
		return run, Truth{}, err
	}
	_, cpu0, err := settledDIYStats(emu, proc, items)
	if err != nil {
		return run, Truth{}, err
	}
	if err := emu.ResetStats(); err != nil {
		return run, Truth{}, err
	}
	for range peerDays {
		if _, err := emu.Advance(1); err != nil {
			return run, Truth{}, err
		}
		s, err := emu.Stats()
		if err != nil {
			return run, Truth{}, err
		}
		// A gather still in flight may have been answered from the day
		// before: wait for it, then for one whose calls all came after.
		_, started := gathersSeen(s, items, diyEndpoints)
		if err := proc.waitGathers(emu, items, started+1, diyEndpoints...); err != nil {
			return run, Truth{}, err
		}
	}
	stats, cpu1, err := settledDIYStats(emu, proc, items)
	if err != nil {
		return run, Truth{}, err
	}
	_, run.Gathers = gathersSeen(stats, items, diyEndpoints)
	if run.PeakRSS, err = peakRSS(proc.pid()); err != nil {
		return run, Truth{}, err
	}
	if err := proc.stop(); err != nil {
		return run, Truth{}, err
	}
	run.CPUPerGather = float64((cpu1 - cpu0).Microseconds()) / 1000 / float64(run.Gathers)
	run.CallsPerItem = callsPerItemGather(stats, len(items), run.Gathers)
	run.BytesPerItem = float64(totalBytes(stats)) / float64(len(items)*run.Gathers)
	run.BilledPerItem = run.CallsPerItem[endpointBalanceGet]

	truth, err := emu.Truth()
	if err != nil {
		return run, truth, err
	}
	bankIDs := map[string]bool{}
	client := NewRefetchClient(emu.URL)
	for _, it := range items {
		ctx, cancel := context.WithTimeout(rootContext, time.Minute)
		ids, err := bankTransactionIDs(ctx, client, it.AccessToken)
		cancel()
		if err != nil {
			return run, truth, fmt.Errorf("reading %s's transactions: %w", it.Name, err)
		}
		for id := range ids {
			bankIDs[id] = true
		}
	}
	if len(bankIDs) != truth.Count {
		return run, truth, fmt.Errorf("a full sync reads %d live transactions, the ground truth has %d", len(bankIDs), truth.Count)
	}
	lp, err := os.ReadFile(outFile)
	if err != nil {
		return run, truth, err
	}
	run.Correct, err = checkOutput(lp, truth, bankIDs)
	return run, truth, err
}

// gathersSeen is, over items and endpoints, the fewest and the most calls
// one item made to one endpoint: they are equal between whole gathers.
func gathersSeen(s plaidemu.Stats, items []plaidemu.ItemInfo, endpoints []string) (fewest, most int) {
	fewest = math.MaxInt
	for _, it := range items {
		for _, e := range endpoints {
			n := s.ByItem[it.Name][e]
			fewest, most = min(fewest, n), max(most, n)
		}
	}
	return fewest, most
}

// waitGathers waits until n gathers of a Telegraf have reached the
// emulator: every item has made n calls to each of endpoints.
func (p *telegrafProcess) waitGathers(emu *Emulator, items []plaidemu.ItemInfo, n int, endpoints ...string) error {
	deadline := time.Now().Add(diyGatherTimeout)
	for {
		s, err := emu.Stats()
		if err != nil {
			return err
		}
		if fewest, _ := gathersSeen(s, items, endpoints); fewest >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gather %d did not finish within %s (calls: %v); Telegraf: %s", n, diyGatherTimeout, s.Calls, p.stderr.String())
		}
		select {
		case <-p.done:
			return fmt.Errorf("telegraf exited: %s", p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// settledDIYStats returns the emulator's counters and Telegraf's CPU time
// read between two gathers: every item has made as many calls to each of
// diyEndpoints, and no call or response byte came for diySettle, so that
// the figures are of whole gathers.
func settledDIYStats(emu *Emulator, proc *telegrafProcess, items []plaidemu.ItemInfo) (plaidemu.Stats, time.Duration, error) {
	deadline := time.Now().Add(diyGatherTimeout)
	for {
		before, err := emu.Stats()
		if err != nil {
			return before, 0, err
		}
		cpu, err := processCPU(proc.pid())
		if err != nil {
			return before, 0, err
		}
		time.Sleep(diySettle)
		after, err := emu.Stats()
		if err != nil {
			return after, 0, err
		}
		fewest, most := gathersSeen(after, items, diyEndpoints)
		if fewest == most && totalCalls(after) == totalCalls(before) && totalBytes(after) == totalBytes(before) {
			return after, cpu, nil
		}
		if time.Now().After(deadline) {
			return after, 0, fmt.Errorf("no pause between Telegraf's gathers within %s", diyGatherTimeout)
		}
	}
}

// pluginPeers runs plaid-sync as Telegraf's execd runs it, and after each
// of its gathers the Python plaid-sync's calls for every item, on one
// emulator: the Python pattern only reads. withHost adds steady gathers of
// plaid-sync under a real Telegraf at the end.
func (env *Env) pluginPeers(opts EmulatorOptions, withHost bool) (ours, python PeerRun, truth Truth, err error) {
	emu, items, ws, err := env.setup(fmt.Sprintf("peers-plaid-sync-%g", opts.TxPerDay), opts, PluginConfig{})
	if err != nil {
		return ours, python, truth, err
	}
	defer emu.Close()
	proc, err := StartSync(env.bin("plaid-sync"), ws)
	if err != nil {
		return ours, python, truth, err
	}
	defer proc.Kill()
	var out bytes.Buffer
	proc.Tee(&out)
	// gather runs one gather and returns the CPU time it took.
	gather := func() (time.Duration, error) {
		before, err := processCPU(proc.PID())
		if err != nil {
			return 0, err
		}
		if _, err := proc.Gather(len(items), gatherTimeout); err != nil {
			return 0, err
		}
		after, err := processCPU(proc.PID())
		return after - before, err
	}
	first, err := gather()
	if err != nil {
		return ours, python, truth, err
	}
	ours.FirstGatherCPU = float64(first.Microseconds()) / 1000

	client := NewRefetchClient(emu.URL)
	var oursStats, pythonStats plaidemu.Stats
	var cpu time.Duration
	reread := 0
	for range peerDays {
		sum, err := emu.Advance(1)
		if err != nil {
			return ours, python, truth, err
		}
		if err := emu.ResetStats(); err != nil {
			return ours, python, truth, err
		}
		took, err := gather()
		if err != nil {
			return ours, python, truth, err
		}
		cpu += took
		s, err := emu.Stats()
		if err != nil {
			return ours, python, truth, err
		}
		oursStats = mergeStats(oursStats, s)
		if err := emu.ResetStats(); err != nil {
			return ours, python, truth, err
		}
		for _, it := range items {
			ctx, cancel := context.WithTimeout(rootContext, time.Minute)
			n, err := RefetchRun(ctx, client, it.AccessToken, sum.Today)
			cancel()
			if err != nil {
				return ours, python, truth, fmt.Errorf("the Python plaid-sync's calls, %s: %w", it.Name, err)
			}
			reread += n
		}
		if s, err = emu.Stats(); err != nil {
			return ours, python, truth, err
		}
		pythonStats = mergeStats(pythonStats, s)
	}
	if ours.PeakRSS, err = peakRSS(proc.PID()); err != nil {
		return ours, python, truth, err
	}
	if _, err := proc.Stop(); err != nil {
		return ours, python, truth, err
	}
	if truth, err = emu.Truth(); err != nil {
		return ours, python, truth, err
	}
	if withHost {
		if ours.Host, err = env.execdHost(emu, ws, items); err != nil {
			return ours, python, truth, fmt.Errorf("plaid-sync under Telegraf: %w", err)
		}
	}
	ours.Gathers, python.Gathers = peerDays, peerDays
	ours.CPUPerGather = float64(cpu.Microseconds()) / 1000 / peerDays
	ours.CallsPerItem = callsPerItemGather(oursStats, len(items), peerDays)
	ours.BytesPerItem = float64(totalBytes(oursStats)) / float64(len(items)*peerDays)
	ours.BilledPerItem = ours.CallsPerItem[endpointBalanceGet]
	python.CallsPerItem = callsPerItemGather(pythonStats, len(items), peerDays)
	python.BytesPerItem = float64(totalBytes(pythonStats)) / float64(len(items)*peerDays)
	python.BilledPerItem = python.CallsPerItem[endpointBalanceGet]
	python.RereadPerItem = float64(reread) / float64(len(items)*peerDays)
	ours.Correct, err = checkOutput(out.Bytes(), truth, nil)
	return ours, python, truth, err
}

// hostGathers is how many steady gathers the execd host is measured over.
const hostGathers = 10

// execdHost runs plaid-sync on ws under a real Telegraf, configured as
// sample.conf is (inputs.execd, signal = "STDIN"), for steady gathers: what
// the host adds to plaid-sync's own cost.
func (env *Env) execdHost(emu *Emulator, ws *Workspace, items []plaidemu.ItemInfo) (*HostRun, error) {
	conf := telegrafAgentConfig(ws.Dir+"/telegraf-out.lp") + fmt.Sprintf(`
[[inputs.execd]]
  command = [%q, "-config", %q, "-poll_interval_disabled"]
  signal = "STDIN"
  data_format = "influx"
`, env.bin("plaid-sync"), ws.ConfigFile)
	confFile := ws.Dir + "/telegraf.conf"
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	if err := emu.ResetStats(); err != nil {
		return nil, err
	}
	proc, err := startTelegraf(env.bin("telegraf"), confFile)
	if err != nil {
		return nil, err
	}
	defer proc.kill()
	// plaid-sync gathers at start, then at each of Telegraf's newlines: one
	// /transactions/sync per item each time, Plaid having nothing new.
	if err := proc.waitGathers(emu, items, 1, endpointSync); err != nil {
		return nil, err
	}
	child, err := childPID(proc.pid(), "plaid-sync")
	if err != nil {
		return nil, err
	}
	host0, err := processCPU(proc.pid())
	if err != nil {
		return nil, err
	}
	plugin0, err := processCPU(child)
	if err != nil {
		return nil, err
	}
	if err := proc.waitGathers(emu, items, 1+hostGathers, endpointSync); err != nil {
		return nil, err
	}
	host1, err := processCPU(proc.pid())
	if err != nil {
		return nil, err
	}
	plugin1, err := processCPU(child)
	if err != nil {
		return nil, err
	}
	run := &HostRun{Gathers: hostGathers,
		TelegrafCPU: float64((host1 - host0).Microseconds()) / 1000 / hostGathers,
		PluginCPU:   float64((plugin1 - plugin0).Microseconds()) / 1000 / hostGathers}
	if run.TelegrafPeakRSS, err = peakRSS(proc.pid()); err != nil {
		return nil, err
	}
	if run.PluginPeakRSS, err = peakRSS(child); err != nil {
		return nil, err
	}
	return run, proc.stop()
}

// childPID finds the child of parent whose command is name, from /proc.
func childPID(parent int, name string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": the command may hold spaces.
		stat := string(raw)
		open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(stat[end+1:])
		if len(f) > 1 && stat[open+1:end] == name && f[1] == strconv.Itoa(parent) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no %s process under pid %d", name, parent)
}

// peakRSS is a running process's high-water mark of resident memory, MiB.
func peakRSS(pid int) (float64, error) {
	hwm, err := statusField(pid, "VmHWM:")
	return float64(hwm) / (1 << 20), err
}

func dollars(cents int64) string { return "$" + strconv.FormatFloat(float64(cents)/100, 'f', 2, 64) }

func totalPerItem(perItem map[string]float64) float64 {
	n := 0.0
	for _, c := range perItem {
		n += c
	}
	return n
}

// perGatherCPU prints CPU ms per gather, or the bound that /proc's clock
// tick of 10 ms gives over gathers when no tick was counted.
func perGatherCPU(ms float64, gathers int) string {
	if ms == 0 {
		return fmt.Sprintf("< %.1f ms", 10/float64(gathers))
	}
	return fmt.Sprintf("%.1f ms", ms)
}

// PeerCostRows are the peers' CPU, memory, calls and bytes (section 9).
func PeerCostRows(diy, ours, python PeerRun) []Row {
	oursCalls := totalPerItem(ours.CallsPerItem)
	rows := []Row{
		{
			Metric:   fmt.Sprintf("9. DIY Telegraf (inputs.http + json_v2, cursorless /transactions/sync + /accounts/get), %d items, per gather", peerItems),
			Target:   "reference",
			Measured: fmt.Sprintf("CPU %.1f ms (mean of %d gathers); Telegraf peak RSS %.1f MiB; %.0f B received per item (%.2f calls: %s; %.2f billed)", diy.CPUPerGather, diy.Gathers, diy.PeakRSS, diy.BytesPerItem, totalPerItem(diy.CallsPerItem), describeCalls(diy.CallsPerItem), diy.BilledPerItem),
			Verdict:  "reference",
		},
		{
			Metric:   "9. the Python plaid-sync's calls, per item per run (same data)",
			Target:   "reference",
			Measured: fmt.Sprintf("%.2f calls (%s), %.2f billed; %.0f B; %.0f transactions re-read", totalPerItem(python.CallsPerItem), describeCalls(python.CallsPerItem), python.BilledPerItem, python.BytesPerItem, python.RereadPerItem),
			Verdict:  "reference",
		},
		{
			Metric:   fmt.Sprintf("9. plaid-sync, per gather after a day of changes (%d items, %d gathers)", peerItems, ours.Gathers),
			Target:   "1 free call per item; fewer bytes than both peers",
			Measured: fmt.Sprintf("CPU %.1f ms (mean; the first gather, a backfill, %.0f ms); peak RSS %.1f MiB; %.0f B received per item (%.2f calls: %s; %.2f billed)", ours.CPUPerGather, ours.FirstGatherCPU, ours.PeakRSS, ours.BytesPerItem, oursCalls, describeCalls(ours.CallsPerItem), ours.BilledPerItem),
			Verdict: verdict(oursCalls == 1 && ours.CallsPerItem[endpointSync] == 1 && ours.BytesPerItem < diy.BytesPerItem && ours.BytesPerItem < python.BytesPerItem,
				"%s, %.0f B", describeCalls(ours.CallsPerItem), ours.BytesPerItem),
		},
	}
	if h := ours.Host; h != nil {
		rows = append(rows, Row{
			Metric:   fmt.Sprintf("9. plaid-sync under Telegraf's inputs.execd (as sample.conf), per steady gather (%d items, %d gathers)", peerItems, h.Gathers),
			Target:   "report",
			Measured: fmt.Sprintf("CPU Telegraf %s + plaid-sync %s; peak RSS Telegraf %.1f MiB + plaid-sync %.1f MiB", perGatherCPU(h.TelegrafCPU, h.Gathers), perGatherCPU(h.PluginCPU, h.Gathers), h.TelegrafPeakRSS, h.PluginPeakRSS),
			Verdict:  "reference",
		})
	}
	return rows
}

// PeerCorrectnessRows compare what the DIY Telegraf and plaid-sync hold at
// the end with the bank (section 9).
func PeerCorrectnessRows(txPerDay float64, diy, ours PeerRun) []Row {
	dc, oc := diy.Correct, ours.Correct
	target := "the bank's: every live transaction once, sum(amount) exact"
	return []Row{
		{
			Metric:   fmt.Sprintf("9. DIY Telegraf: transactions held after %d days of changes, vs the bank (%g a day)", peerDays, txPerDay),
			Target:   target,
			Measured: fmt.Sprintf("%d held (as InfluxDB would keep them) for the bank's %d: %d no longer at the bank, %d missing; |sum - truth| %s; %d lines written, their sum off by %s", dc.Held, dc.TruthCount, dc.Stale, dc.Missing, dollars(dc.OffCents()), dc.Lines, dollars(dc.LinesOffCents())),
			Verdict:  verdict(dc.Exact(), "%+d transactions, sum off by %s", dc.Held-dc.TruthCount, dollars(dc.OffCents())),
		},
		{
			Metric:   fmt.Sprintf("9. plaid-sync: transactions held after %d days of changes, vs the bank (%g a day)", peerDays, txPerDay),
			Target:   target,
			Measured: fmt.Sprintf("%d live (as InfluxDB would keep them) for the bank's %d; |sum - truth| %s (%d lines written, tombstones included)", oc.Held, oc.TruthCount, dollars(oc.OffCents()), oc.Lines),
			Verdict:  verdict(oc.Exact(), "%+d transactions, sum off by %s", oc.Held-oc.TruthCount, dollars(oc.OffCents())),
		},
	}
}

// telegrafProcess is a Telegraf agent started by the harness.
type telegrafProcess struct {
	cmd    *exec.Cmd
	stderr *tailBuffer
	done   chan struct{}
	err    error // the exit, once done is closed
}

func startTelegraf(bin, config string) (*telegrafProcess, error) {
	cmd := exec.CommandContext(rootContext, bin, "--config", config)
	dieWithParent(cmd)
	p := &telegrafProcess{cmd: cmd, stderr: newTailBuffer(32 << 10), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr
	if err := startChild(cmd); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() {
		defer close(p.done)
		p.err = waitChild(cmd)
	}()
	return p, nil
}

func (p *telegrafProcess) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM, on which Telegraf flushes its outputs, and waits.
func (p *telegrafProcess) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		p.kill()
		return fmt.Errorf("telegraf did not stop within a minute of SIGTERM: %s", p.stderr.String())
	}
	if p.err != nil {
		return fmt.Errorf("telegraf: %w: %s", p.err, p.stderr.String())
	}
	return nil
}

// kill ends the process at once, for cleanup after a failure.
func (p *telegrafProcess) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
