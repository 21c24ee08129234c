//go:build e2e && verifybench

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestVerifyBenchmark measures the time and peak RSS of plaid-sync -verify
// over histories of growing size: the emulator's history goes through
// plaid-sync -once into a real InfluxDB, then -verify compares the two. It
// is a measurement, not a check, so it is built only with its own tag:
//
//	scripts/e2e.sh -tags 'e2e verifybench' -run TestVerifyBenchmark -v
func TestVerifyBenchmark(t *testing.T) {
	tl := needTools(t)
	fmt.Printf("| transactions | ledger points | InfluxDB points | -verify time | peak RSS |\n|---|---|---|---|---|\n")
	for _, perDay := range []float64{7, 14, 28} {
		dir := t.TempDir()
		emu, err := plaidemu.New(plaidemu.Config{Seed: 9, Items: 10, HistoryDays: 730, TxPerDay: perDay})
		if err != nil {
			t.Fatal(err)
		}
		emuURL, err := emu.Serve("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := &pipeline{t: t, tools: tl, dir: dir, emu: emu, emuURL: emuURL, database: "plaid"}
		p.writeAccountsFile(emu.Items())
		p.influx = startInfluxDB(t, tl.influxd, filepath.Join(dir, "influxdb"))
		if _, err := p.influx.query("", `CREATE DATABASE "plaid"`); err != nil {
			t.Fatal(err)
		}
		conf := pluginConf(t, pluginSettings{accountsFile: p.iniPath, stateDir: filepath.Join(dir, "state"), linktool: tl.linktool,
			timezone: testTimezone, balanceInterval: "1s", itemStatusInterval: "1s", replayInterval: "24h", replayWindow: "30d", timeout: "10m"})
		writeFile(t, filepath.Join(dir, "plaid-plugin.conf"), conf, 0o644)
		loaded := p.loadOnce()
		gt := emu.GroundTruth()

		r := p.runVerify(nil, p.influx.url(), p.database, "-verify")
		if r.code != 0 {
			t.Fatalf("-verify over %d transactions: exit %d\n%s%s", gt.Count, r.code, r.stdout, r.stderr)
		}
		rep := parseReport(t, p.runVerify(nil, p.influx.url(), p.database, "-verify", "-json"))
		fmt.Printf("| %d | %d | %d | %s | %.1f MiB |\n", gt.Count, rep.Points, loaded, r.took.Round(10*time.Millisecond), float64(r.maxRSS)/1024)
		_ = emu.Close()
		if err := p.influx.stop(); err != nil {
			t.Fatal(err)
		}
	}
}

// loadOnce runs plaid-sync -once and writes its line protocol to InfluxDB
// in batches, as Telegraf would; it returns how many lines it wrote.
func (p *pipeline) loadOnce() int {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.tools.plaidSync, "-config", filepath.Join(p.dir, "plaid-plugin.conf"), "-once")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var batch bytes.Buffer
	lines, total := 0, 0
	flush := func() {
		if lines == 0 {
			return
		}
		resp, err := http.Post(p.influx.url()+"/write?db=plaid&precision=ns", "text/plain", bytes.NewReader(batch.Bytes()))
		if err != nil {
			p.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			p.t.Fatalf("/write: %s", resp.Status)
		}
		total += lines
		batch.Reset()
		lines = 0
	}
	for sc.Scan() {
		batch.Write(sc.Bytes())
		batch.WriteByte('\n')
		if lines++; lines == 5000 {
			flush()
		}
	}
	flush()
	if err := cmd.Wait(); err != nil {
		p.t.Fatalf("plaid-sync -once: %v\n%s", err, stderr.String())
	}
	return total
}
