package plaidemu_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

var benchConfig = plaidemu.Config{Seed: 42, Items: 10, HistoryDays: 730, TxPerDay: 8, Today: fixedToday}

// BenchmarkGenerate measures building an emulator with 10 items x 730 days
// x 8 transactions a day.
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		emu, err := plaidemu.New(benchConfig)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(emu.GroundTruth().Count), "txns/op")
	}
}

// BenchmarkGenerateAndFullSync measures generation plus a complete
// /transactions/sync of every item over HTTP, decoding only what a lean
// client needs, so the emulator's own cost dominates.
func BenchmarkGenerateAndFullSync(b *testing.B) {
	client := &http.Client{}
	for b.Loop() {
		emu, err := plaidemu.New(benchConfig)
		if err != nil {
			b.Fatal(err)
		}
		url, err := emu.Serve("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for _, it := range emu.Items() {
			cursor := ""
			for {
				body, _ := json.Marshal(map[string]any{"access_token": it.AccessToken, "cursor": cursor, "count": 500})
				req, _ := http.NewRequest(http.MethodPost, url+"/transactions/sync", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("PLAID-CLIENT-ID", testClientID)
				req.Header.Set("PLAID-SECRET", testSecret)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var page struct {
					Added []struct {
						TransactionID string  `json:"transaction_id"`
						Amount        float64 `json:"amount"`
					} `json:"added"`
					NextCursor string `json:"next_cursor"`
					HasMore    bool   `json:"has_more"`
				}
				err = json.NewDecoder(resp.Body).Decode(&page)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d: %v", resp.StatusCode, err)
				}
				total += len(page.Added)
				cursor = page.NextCursor
				if !page.HasMore {
					break
				}
			}
		}
		if err := emu.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(total), "txns/op")
	}
}
