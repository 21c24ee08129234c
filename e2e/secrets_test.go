//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
	"github.com/plaid-sync/telegraf-plaid/internal/redact/hostile"
)

// Credentials shaped like Plaid's: a 24-character client id, a
// 30-character secret.
const (
	hostileClientID = "5f0c1d2e3a4b5c6d7e8f9a0b"
	hostileSecret   = "8c2d0e6f4a1b3c5d7e9f0a2b4c6d8e"
)

// TestSecretsThroughTelegraf runs the real pipeline against a Plaid that
// echoes every request (headers with the client id and secret, the body
// with the access token) in its errors, in every style, form and cut, with
// plaid-sync and Telegraf both logging at debug level: no part of a secret
// or token reaches Telegraf's log, InfluxDB, plaid-sync's state or what
// linktool prints.
func TestSecretsThroughTelegraf(t *testing.T) {
	p := newPipeline(t, pipelineOptions{
		emulator: plaidemu.Config{Seed: 40, Items: 3, HistoryDays: 10, TxPerDay: 2, ClientID: hostileClientID, Secret: hostileSecret},
		timeout:  "4s",
		noStart:  true,
	})
	h, err := hostile.New(p.emuURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	var ini strings.Builder
	fmt.Fprintf(&ini, "[PLAID]\nclient_id = %s\nsecret = %s\nenvironment = sandbox\nbase_url = %s\n", hostileClientID, hostileSecret, h.URL)
	for _, it := range p.emu.Items() {
		fmt.Fprintf(&ini, "\n[%s]\naccess_token = %s\n", it.Name, it.AccessToken)
	}
	writeFile(t, p.iniPath, ini.String(), 0o600)
	pluginPath := filepath.Join(p.dir, "plaid-plugin.conf")
	plugin, err := os.ReadFile(pluginPath)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, pluginPath, setOption(t, string(plugin), "log_level", `"debug"`), 0o644)
	p.tg.agentConf = filepath.Join(p.dir, "agent.conf")
	writeFile(t, p.tg.agentConf, "[agent]\n  debug = true\n", 0o644)

	echoes := hostile.Echoes(hostile.Styles...)
	h.Answer(echoes, "*")
	start := time.Now()
	p.startTelegraf()
	err = waitFor(4*time.Minute, time.Second, func() (bool, error) {
		if len(h.Used()) < len(echoes) {
			return false, nil
		}
		rows, err := p.influx.query(p.database, `SELECT count("status") FROM "plaid_item"`)
		return err == nil && len(rows) > 0 && asInt(rows[0].Values[0][1]) >= 3, err
	})
	if err != nil {
		t.Fatalf("after %s, %d of %d echoes answered: %v", time.Since(start).Round(time.Second), len(h.Used()), len(echoes), err)
	}
	gatherTime := time.Since(start)
	if err := p.tg.stop(); err != nil {
		t.Fatal(err)
	}

	secrets := []string{hostileClientID, hostileSecret}
	for _, it := range p.emu.Items() {
		secrets = append(secrets, it.AccessToken)
	}
	checked := map[string]int{}
	check := func(where, text string) {
		t.Helper()
		if leaks := hostile.Leaks(text, secrets...); len(leaks) > 0 {
			t.Errorf("%s holds parts of secrets %q:\n%s", where, leaks, limitText(text, leaks[0]))
		}
		checked[where] += len(text)
	}

	log := p.tg.log()
	for _, want := range []string{"D! [inputs.execd]", "the request could not be read", "unexpected response"} {
		if !strings.Contains(log, want) {
			t.Errorf("Telegraf's log has no %q: the test saw no hostile error\n%s", want, tail(p.tg.logPath, 40))
		}
	}
	check("Telegraf's log", log)

	rows := p.query(`SELECT * FROM "plaid_item"`)
	dump, _ := json.Marshal(rows)
	if !strings.Contains(string(dump), "the request could not be read") {
		t.Errorf("no plaid_item error_message carries the hostile error: %s", limitText(string(dump), "error"))
	}
	check("InfluxDB plaid_item", string(dump))
	for _, m := range []string{"plaid_transaction", "plaid_balance", "plaid_account"} {
		rows := p.query(`SELECT * FROM "` + m + `"`)
		dump, _ := json.Marshal(rows)
		check("InfluxDB "+m, string(dump))
	}
	_ = filepath.WalkDir(filepath.Join(p.dir, "state"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		check("state file "+filepath.Base(path), string(data))
		return nil
	})

	// linktool, the binary, against the same Plaid.
	h.Answer(echoes, "*")
	linktoolRuns := 0
	for i := 0; len(h.Used()) < 2*len(echoes) && i < 60; i++ {
		res := runLinktool(t, p.tools.linktool, "-c", p.iniPath, "--status")
		if res.code != 1 || !strings.Contains(res.stdout, "could not check with Plaid") {
			t.Fatalf("linktool --status: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		check("linktool --status", res.stdout+res.stderr)
		linktoolRuns++
	}
	h.Answer(echoes[:24], "/item/remove")
	for range 24 {
		res := runLinktool(t, p.tools.linktool, "-c", p.iniPath, "--remove", p.emu.Items()[0].Name)
		check("linktool --remove", res.stdout+res.stderr)
		linktoolRuns++
	}
	t.Logf("%d hostile answers (%d distinct echoes) in %s through Telegraf, then %d linktool runs; bytes checked: %v",
		len(h.Used()), len(echoes), gatherTime.Round(time.Second), linktoolRuns, checked)
}

// limitText shows the part of text around the first occurrence of s.
func limitText(text, s string) string {
	i := strings.Index(strings.ToLower(text), strings.ToLower(s))
	if i < 0 {
		return text[:min(len(text), 2000)]
	}
	return text[max(0, i-300):min(len(text), i+300)]
}
