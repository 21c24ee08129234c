package plaidemu

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
)

// FirstSyncPage returns the first page of a full /transactions/sync of a
// seeded two-year history, byte for byte as the emulator answers it: real
// pages for benchmarks that measure decoding.
func FirstSyncPage(seed int64, count int) ([]byte, error) {
	emu, err := New(Config{Seed: seed, Items: 1, HistoryDays: 730, TxPerDay: 7})
	if err != nil {
		return nil, err
	}
	body := fmt.Sprintf(`{"access_token":%q,"count":%d}`, emu.Items()[0].AccessToken, count)
	req := httptest.NewRequest(http.MethodPost, "/transactions/sync", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("PLAID-CLIENT-ID", emu.cfg.ClientID)
	req.Header.Set("PLAID-SECRET", emu.cfg.Secret)
	rec := httptest.NewRecorder()
	emu.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("/transactions/sync answered %d: %s", rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes(), nil
}
