//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// verifyRun is one run of plaid-sync -verify or -repair.
type verifyRun struct {
	code           int
	stdout, stderr string
	took           time.Duration
	maxRSS         int64 // KiB
}

// runVerify runs plaid-sync with the pipeline's plugin.conf and InfluxDB
// and the given flags, with env added to its environment.
func (p *pipeline) runVerify(env []string, url, database string, flags ...string) verifyRun {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"-config", filepath.Join(p.dir, "plaid-plugin.conf"), "-influx-url", url, "-influx-database", database}, flags...)
	cmd := exec.CommandContext(ctx, p.tools.plaidSync, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	var peak int64
	if err == nil {
		peak = watchPeakRSS(cmd.Process.Pid, cmd.Wait, &err)
	}
	r := verifyRun{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start), maxRSS: peak}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		p.t.Fatalf("plaid-sync %v: %v", flags, err)
	}
	return r
}

// verifyReport is the part of -verify -json's report the tests read.
type verifyReport struct {
	Agree    bool `json:"agree"`
	Points   int  `json:"ledger_points"`
	Accounts []struct {
		Item      string `json:"item"`
		AccountID string `json:"account_id"`
		Missing   int    `json:"missing"`
		Changed   int    `json:"changed"`
		Orphans   int    `json:"orphans"`
		Ledger    struct {
			Live     int64 `json:"live"`
			SumCents int64 `json:"sum_cents"`
		} `json:"ledger"`
		InfluxDB struct {
			Live     int64 `json:"live"`
			SumCents int64 `json:"sum_cents"`
		} `json:"influxdb"`
	} `json:"accounts"`
}

func parseReport(t *testing.T, r verifyRun) verifyReport {
	t.Helper()
	var rep verifyReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("-json output is not a report: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	return rep
}

// TestVerifyAndRepair: -verify agrees on a clean pipeline (while plaid-sync
// runs and holds the ledger), names every difference after points of two
// accounts are deleted and a foreign point is written, and -repair brings
// InfluxDB back to Plaid's ground truth.
func TestVerifyAndRepair(t *testing.T) {
	start := time.Now()
	p := newPipeline(t, pipelineOptions{emulator: plaidemu.Config{Seed: 5, Items: 3, HistoryDays: 200}})
	gt := p.requireMatch(start, 3*time.Minute)

	clean := p.runVerify(nil, p.influx.url(), p.database, "-verify")
	t.Logf("-verify on a clean pipeline, beside the running plaid-sync (%s):\n%s%s", clean.took.Round(time.Millisecond), clean.stdout, clean.stderr)
	if clean.code != 0 || !strings.Contains(clean.stdout, "agrees with the ledger") {
		t.Fatalf("-verify on a clean pipeline: exit %d, expected 0", clean.code)
	}

	// Stop Telegraf so that no replay writes the damage back before it is
	// verified.
	if err := p.tg.stop(); err != nil {
		t.Fatal(err)
	}
	accounts := []acctKey{}
	for _, it := range gt.Items[:2] {
		accounts = append(accounts, acctKey{it.Name, it.Accounts[0].AccountID})
	}
	cut := time.Now().AddDate(0, 0, -60).UnixNano()
	deleted := map[acctKey]int64{}
	for _, a := range accounts {
		where := fmt.Sprintf(`WHERE "item" = %s AND "account_id" = %s AND time < %d`, quoteString(a.item), quoteString(a.account), cut)
		s := p.query(`SELECT count("transaction_id") FROM "plaid_transaction" ` + where)
		if len(s) == 0 || asInt(s[0].Values[0][1]) == 0 {
			t.Fatalf("%v: no points older than 60 days to delete", a)
		}
		deleted[a] = asInt(s[0].Values[0][1])
		p.query(`DELETE FROM "plaid_transaction" ` + where)
	}
	foreignItem := gt.Items[2].Name
	foreign := fmt.Sprintf("plaid_transaction,account=Cash,account_id=by-hand,category=GIFTS,currency=USD,item=%s amount=42.5,removed=false,pending=false,transaction_id=\"written-by-hand\" %d\n",
		strings.NewReplacer(" ", `\ `, ",", `\,`, "=", `\=`).Replace(foreignItem), time.Now().AddDate(0, 0, -3).UnixNano())
	resp, err := http.Post(p.influx.url()+"/write?db="+p.database+"&precision=ns", "text/plain", strings.NewReader(foreign))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("writing the foreign point: %s", resp.Status)
	}
	t.Logf("deleted %v points of two accounts, wrote one foreign point to item %q", deleted, foreignItem)

	damaged := p.runVerify(nil, p.influx.url(), p.database, "-verify")
	t.Logf("-verify after the damage (%s):\n%s%s", damaged.took.Round(time.Millisecond), damaged.stdout, damaged.stderr)
	if damaged.code != 1 {
		t.Fatalf("-verify after the damage: exit %d, expected 1", damaged.code)
	}
	for _, a := range accounts {
		if !strings.Contains(damaged.stdout, fmt.Sprintf("missing  %s / %s", a.item, a.account)) {
			t.Errorf("-verify does not name the missing points of %s / %s", a.item, a.account)
		}
	}
	if !strings.Contains(damaged.stdout, "orphan   "+foreignItem+" / by-hand") || !strings.Contains(damaged.stdout, "written-by-hand") {
		t.Errorf("-verify does not name the foreign point")
	}
	rep := parseReport(t, p.runVerify(nil, p.influx.url(), p.database, "-verify", "-json"))
	if rep.Agree {
		t.Fatal("-verify -json says agree after the damage")
	}
	found := 0
	for _, a := range rep.Accounts {
		k := acctKey{a.Item, a.AccountID}
		want := deleted[k]
		if a.Missing != int(want) {
			t.Errorf("%v: %d missing, %d were deleted", k, a.Missing, want)
		}
		wantOrphans := 0
		if k == (acctKey{foreignItem, "by-hand"}) {
			wantOrphans = 1
			found++
			if a.InfluxDB.SumCents != 4250 || a.InfluxDB.Live != 1 {
				t.Errorf("the foreign account: influxdb live %d, sum %d cents, expected 1 and 4250", a.InfluxDB.Live, a.InfluxDB.SumCents)
			}
		}
		if a.Orphans != wantOrphans || a.Changed != 0 {
			t.Errorf("%v: %d orphans, %d changed; expected %d and 0", k, a.Orphans, a.Changed, wantOrphans)
		}
		if want > 0 && a.Ledger.Live-a.InfluxDB.Live <= 0 {
			t.Errorf("%v: live ledger %d, influxdb %d after deleting %d", k, a.Ledger.Live, a.InfluxDB.Live, want)
		}
	}
	if found != 1 {
		t.Errorf("the report has no row for the foreign account")
	}

	repaired := p.runVerify(nil, p.influx.url(), p.database, "-repair")
	t.Logf("-repair (%s):\n%s%s", repaired.took.Round(time.Millisecond), repaired.stdout, repaired.stderr)
	if repaired.code != 0 || !strings.Contains(repaired.stdout, "Verified again") {
		t.Fatalf("-repair: exit %d, expected 0 after verifying again", repaired.code)
	}
	again := p.runVerify(nil, p.influx.url(), p.database, "-verify")
	if again.code != 0 {
		t.Fatalf("-verify after -repair: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	if problems := p.compare(gt); len(problems) > 0 {
		t.Fatalf("after -repair InfluxDB differs from Plaid:\n  %s", strings.Join(limit(problems, 30), "\n  "))
	}
	t.Logf("after -repair InfluxQL sums equal Plaid's: %d live transactions, sum %s", gt.Count, centsString(gt.SumCents))
}

// startInfluxDBWithAuth runs an influxd that requires credentials, with one
// admin user.
func startInfluxDBWithAuth(t *testing.T, bin, dir, user, password string) *influxDB {
	t.Helper()
	db := &influxDB{bin: bin, dir: dir, confPath: filepath.Join(dir, "influxdb.conf"),
		logPath: filepath.Join(dir, "influxd.log"), client: &http.Client{Timeout: 60 * time.Second}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := db.configure(); err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(db.confPath)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, db.confPath, strings.Replace(string(conf), "[http]\n", "[http]\n  auth-enabled = true\n", 1), 0o644)
	if err := db.start(); err != nil {
		t.Fatalf("starting InfluxDB with auth: %v\n%s", err, tail(db.logPath, 30))
	}
	t.Cleanup(func() { _ = db.stop() })
	// The first user may be created without credentials.
	if _, err := db.query("", fmt.Sprintf("CREATE USER %s WITH PASSWORD %s WITH ALL PRIVILEGES", user, quoteString(password))); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestVerifyBadInput: each mistake is one line on stderr and exit 2, and
// -repair writes nothing when the first verification cannot complete.
func TestVerifyBadInput(t *testing.T) {
	start := time.Now()
	p := newPipeline(t, pipelineOptions{emulator: plaidemu.Config{Seed: 6, Items: 1, HistoryDays: 60}})
	p.requireMatch(start, 2*time.Minute)
	if err := p.tg.stop(); err != nil {
		t.Fatal(err)
	}
	// Damage that a repair would write back, had it run.
	p.query(`DELETE FROM "plaid_transaction" WHERE time < ` + fmt.Sprint(time.Now().AddDate(0, 0, -20).UnixNano()))
	before := p.liveCount()

	if _, err := p.influx.query("", `CREATE DATABASE "empty"`); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	const password = "s3cret-pw"
	auth := startInfluxDBWithAuth(t, p.tools.influxd, filepath.Join(p.dir, "influxdb-auth"), "admin", password)
	if _, err := auth.query("", `CREATE DATABASE "plaid"`); err == nil {
		t.Fatal("the InfluxDB with auth accepted a statement without credentials")
	}

	cases := []struct {
		name, url, database string
		env                 []string
		want                string
	}{
		{"wrong URL", p.emuURL, p.database, nil, "is not InfluxDB"},
		{"InfluxDB down", fmt.Sprintf("http://127.0.0.1:%d", port), p.database, nil, "cannot reach InfluxDB"},
		{"wrong database", p.influx.url(), "plaidd", nil, `has no database "plaidd"`},
		{"measurement missing", p.influx.url(), "empty", nil, "has no measurement plaid_transaction"},
		{"no credentials", auth.url(), "plaid", nil, "needs credentials"},
		{"wrong credentials", auth.url(), "plaid", []string{"INFLUX_USERNAME=admin", "INFLUX_PASSWORD=wrong"}, `refused the credentials of user "admin"`},
		{"right credentials, no database", auth.url(), "plaid", []string{"INFLUX_USERNAME=admin", "INFLUX_PASSWORD=" + password}, `has no database "plaid"`},
		{"not a URL", "127.0.0.1:8086", p.database, nil, "is not an http:// or https:// URL"},
	}
	for _, c := range cases {
		for _, mode := range [][]string{{"-verify"}, {"-repair"}, {"-repair", "-stdout"}} {
			r := p.runVerify(c.env, c.url, c.database, mode...)
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			t.Logf("%s, %v: exit %d: %s", c.name, mode, r.code, r.stderr)
			if r.code != 2 {
				t.Errorf("%s, %v: exit %d, expected 2", c.name, mode, r.code)
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "E! plaid-sync -verify: ") || !strings.Contains(lines[0], c.want) {
				t.Errorf("%s, %v: expected one line saying %q, got:\n%s", c.name, mode, c.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("%s, %v: printed on stdout:\n%s", c.name, mode, r.stdout)
			}
			if strings.Contains(r.stderr, password) {
				t.Errorf("%s, %v: the password is in the message", c.name, mode)
			}
		}
	}
	if after := p.liveCount(); after != before {
		t.Fatalf("a failed -repair wrote points: %d live before, %d after", before, after)
	}
	// The same damage is repaired once the flags are right, here through
	// -stdout and another path into InfluxDB.
	r := p.runVerify(nil, p.influx.url(), p.database, "-repair", "-stdout")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("Printed %d repair points", len(lines))) {
		t.Fatalf("-repair -stdout: exit %d, %d lines\n%s", r.code, len(lines), r.stderr)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "plaid_transaction,account=") {
			t.Fatalf("-repair -stdout printed a line that is not a transaction point: %q", l)
		}
	}
	resp, err := http.Post(p.influx.url()+"/write?db="+p.database+"&precision=ns", "text/plain", strings.NewReader(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("writing the printed repair: %s", resp.Status)
	}
	if r := p.runVerify(nil, p.influx.url(), p.database, "-verify"); r.code != 0 {
		t.Fatalf("-verify after the printed repair was written: exit %d\n%s", r.code, r.stdout)
	}
	if r := p.runVerify(nil, p.influx.url(), p.database, "-repair"); r.code != 0 || !strings.Contains(r.stdout, "Nothing to repair") {
		t.Fatalf("-repair after the repair: exit %d\n%s", r.code, r.stdout)
	}
	after := p.liveCount()
	if after-before != int64(len(lines)) {
		t.Fatalf("the printed repair of %d points brought %d live transactions back", len(lines), after-before)
	}
	t.Logf("-repair -stdout printed %d points; written with curl's equivalent, they restore every live transaction", len(lines))
}

// TestTelegrafCrashDuringFirstSync: Telegraf is killed with SIGKILL half way
// through a first sync of more than 50,000 transactions while InfluxDB is
// down, so that everything written so far dies with its buffer. With the
// shipped configuration plaid-sync's self-check finds what InfluxDB lacks
// once it is back, and writes it again: InfluxDB ends equal to the bank with
// no manual step. The control run, without the self-check, shows the loss.
func TestTelegrafCrashDuringFirstSync(t *testing.T) {
	t.Run("shipped configuration", func(t *testing.T) {
		start := time.Now()
		p, gt := crashDuringFirstSync(t, false)
		// The self-check runs once nothing was written for verify_delay,
		// and again after its own repair: wait for InfluxDB to match,
		// within bounds.
		p.settle(time.Now(), 3*time.Minute)
		var problems []string
		err := waitFor(5*time.Minute, 2*time.Second, func() (bool, error) {
			problems = p.compare(gt)
			return len(problems) == 0, nil
		})
		if err != nil {
			t.Fatalf("InfluxDB does not match Plaid after the crash (%d problems):\n  %s", len(problems), strings.Join(limit(problems, 30), "\n  "))
		}
		p.requireMatch(time.Now(), 3*time.Minute)
		log := p.tg.log()
		if n := droppedMetrics(log); n > 0 {
			t.Fatalf("Telegraf dropped %d metrics", n)
		}
		m := regexp.MustCompile(`self-check: InfluxDB differs from the ledger in \d+ accounts: (\d+) points missing`).FindStringSubmatch(log)
		if m == nil {
			t.Fatalf("the self-check never found anything missing, yet the killed buffer held points older than the replay window")
		}
		if !strings.Contains(log, "self-check: InfluxDB agrees with the ledger") {
			t.Fatalf("the self-check never agreed")
		}
		if r := p.runVerify(nil, p.influx.url(), p.database, "-verify"); r.code != 0 {
			t.Fatalf("-verify after the crash: exit %d\n%s", r.code, r.stdout)
		}
		t.Logf("the self-check wrote %s points again (the killed buffer held them, or they were still in flight); InfluxDB equals the bank (%d transactions) %s after the start",
			m[1], gt.Count, time.Since(start).Round(time.Second))
	})
	t.Run("control: without the self-check the history is lost", func(t *testing.T) {
		p, gt := crashDuringFirstSync(t, true)
		p.settle(time.Now(), 3*time.Minute)
		lost := int64(gt.Count) - p.liveCount()
		if lost <= 0 {
			t.Fatalf("without the self-check InfluxDB holds %d of %d live transactions: the crash lost nothing, so the scenario shows nothing", p.liveCount(), gt.Count)
		}
		r := p.runVerify(nil, p.influx.url(), p.database, "-verify", "-json")
		rep := parseReport(t, r)
		missing := 0
		for _, a := range rep.Accounts {
			missing += a.Missing
		}
		if r.code != 1 || missing < int(lost) {
			t.Fatalf("-verify: exit %d, %d missing; InfluxDB lacks %d live transactions", r.code, missing, lost)
		}
		t.Logf("without the self-check InfluxDB lacks %d of %d live transactions after the crash; -verify names %d missing points", lost, gt.Count, missing)
	})
}

// crashDuringFirstSync starts a first sync of ten banks with InfluxDB down,
// SIGKILLs Telegraf (and with it plaid-sync) half way, starts Telegraf again,
// lets the sync finish while InfluxDB is still down, then starts InfluxDB.
func crashDuringFirstSync(t *testing.T, noSelfCheck bool) (*pipeline, plaidemu.GroundTruth) {
	t.Helper()
	start := time.Now()
	p := newPipeline(t, pipelineOptions{emulator: backfillBank, noStart: true, noSelfCheck: noSelfCheck})
	gt := p.emu.GroundTruth()
	if gt.Count < 50000 {
		t.Fatalf("the emulator holds %d transactions; the scenario needs 50,000 or more", gt.Count)
	}
	if !noSelfCheck {
		// Telegraf flushes every second here: a few seconds settle it.
		confPath := filepath.Join(p.dir, "plaid-plugin.conf")
		conf, err := os.ReadFile(confPath)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, confPath, setOption(t, string(conf), "verify_delay", `"5s"`), 0o644)
	}
	// Slow pages keep the first sync going long enough to kill it half way.
	if _, err := p.emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", LatencyMS: 30}); err != nil {
		t.Fatal(err)
	}
	if err := p.influx.stop(); err != nil {
		t.Fatal(err)
	}
	pages := backfillPages(gt)
	p.startTelegraf()
	p.waitSyncCalls(pages/2, 3*time.Minute)
	if err := p.tg.proc.kill(); err != nil {
		t.Fatal(err)
	}
	p.tg.proc = nil
	t.Logf("killed Telegraf (SIGKILL, with plaid-sync) after %d of about %d first-sync pages, InfluxDB down", p.syncCalls(), pages)
	p.emu.ClearFaults()

	p.startTelegraf()
	// The first sync finishes while InfluxDB is still down.
	before := p.balanceCalls()
	p.waitGathersAtPlaid(before, 2, 3*time.Minute)
	if err := p.influx.start(); err != nil {
		t.Fatalf("starting InfluxDB again: %v", err)
	}
	t.Logf("InfluxDB back %s after the start", time.Since(start).Round(time.Second))
	return p, gt
}

// watchPeakRSS waits for the process and returns its peak resident set
// (VmHWM, KiB) as last read from /proc before it exited. The kernel's
// ru_maxrss cannot be used for a child started by this process: Go starts
// children with vfork, so the child's figure starts at this test process's
// own resident set, which holds the emulator's whole history.
func watchPeakRSS(pid int, wait func() error, errp *error) int64 {
	done := make(chan error, 1)
	go func() { done <- wait() }()
	var peak int64
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
					if v, err := strconv.ParseInt(f[1], 10, 64); err == nil && v > peak {
						peak = v
					}
				}
			}
		}
		select {
		case *errp = <-done:
			return peak
		case <-tick.C:
		}
	}
}
