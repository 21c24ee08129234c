//go:build e2e

package e2e

import (
	"regexp"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// TestSelfCheckRewritesLostInvestmentTransactions: investment transaction
// points deleted from InfluxDB while Telegraf is stopped, with no replay to
// bring them back, are written again by plaid-sync's self-check when it
// starts; InfluxDB then equals Plaid and -verify agrees.
func TestSelfCheckRewritesLostInvestmentTransactions(t *testing.T) {
	p := newPipeline(t, pipelineOptions{
		emulator:      plaidemu.Config{Seed: 15, Items: 3, HistoryDays: 60, TxPerDay: 3},
		replayWindow:  "0s",
		pluginOptions: map[string]string{"verify_delay": `"2s"`},
	})
	p.settle(time.Now(), 2*time.Minute)
	gt := p.requireInvestmentsMatch()
	want := int64(0)
	for _, it := range gt.Items {
		want += int64(len(it.InvestmentTransactions))
	}
	if err := p.tg.stop(); err != nil {
		t.Fatal(err)
	}
	p.query(`DELETE FROM "plaid_investment_transaction"`)
	live := func() int64 {
		rows := p.query(`SELECT count("amount") FROM "plaid_investment_transaction" WHERE "removed" = false`)
		if len(rows) == 0 {
			return 0
		}
		return asInt(rows[0].Values[0][1])
	}
	if n := live(); n != 0 {
		t.Fatalf("%d investment transactions left after the DELETE", n)
	}

	p.startTelegraf()
	if err := waitFor(2*time.Minute, time.Second, func() (bool, error) { return live() == want, nil }); err != nil {
		t.Fatalf("InfluxDB holds %d of %d investment transactions after the self-check: %v", live(), want, err)
	}
	p.requireInvestmentsMatch()
	m := regexp.MustCompile(`self-check: InfluxDB differs from the ledger in \d+ accounts: (\d+) points missing`).FindStringSubmatch(p.tg.log())
	if m == nil {
		t.Fatalf("the self-check never reported the missing points")
	}
	if r := p.runVerify(nil, p.influx.url(), p.database, "-verify"); r.code != 0 {
		t.Fatalf("-verify after the self-check: exit %d\n%s", r.code, r.stdout)
	}
	t.Logf("%d investment transactions deleted from InfluxDB: the self-check found %s points missing and wrote them again; -verify agrees", want, m[1])
}
