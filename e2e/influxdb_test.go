//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// influxDB is a private influxd: its own meta, data and WAL directories and
// loopback ports, no reporting, no _internal database, quiet logs. Queries go
// through the HTTP API (InfluxDB 1.x has no Flux here, only InfluxQL).
type influxDB struct {
	bin      string
	dir      string
	confPath string
	logPath  string
	httpAddr string
	proc     *process
	client   *http.Client
}

func startInfluxDB(t *testing.T, bin, dir string) *influxDB {
	t.Helper()
	db := &influxDB{bin: bin, dir: dir, confPath: filepath.Join(dir, "influxdb.conf"),
		logPath: filepath.Join(dir, "influxd.log"), client: &http.Client{Timeout: 60 * time.Second}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	// A port found free can be taken before influxd binds it: try again.
	for attempt := 0; attempt < 3; attempt++ {
		if err = db.configure(); err != nil {
			break
		}
		if err = db.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("starting InfluxDB: %v\n%s", err, tail(db.logPath, 30))
	}
	t.Cleanup(func() {
		if err := db.stop(); err != nil {
			t.Errorf("stopping InfluxDB: %v", err)
		}
		if t.Failed() {
			t.Logf("influxd log (%s):\n%s", db.logPath, tail(db.logPath, 20))
		}
	})
	return db
}

func (db *influxDB) configure() error {
	rpcPort, err := freePort()
	if err != nil {
		return err
	}
	httpPort, err := freePort()
	if err != nil {
		return err
	}
	db.httpAddr = fmt.Sprintf("127.0.0.1:%d", httpPort)
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"

[meta]
  dir = %q
  logging-enabled = false

[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  bind-address = %q
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`, rpcPort, filepath.Join(db.dir, "meta"), filepath.Join(db.dir, "data"), filepath.Join(db.dir, "wal"), db.httpAddr)
	return os.WriteFile(db.confPath, []byte(conf), 0o644)
}

// start runs influxd on the configured directories and ports and waits
// until it answers /ping.
func (db *influxDB) start() error {
	proc, err := startProcess("influxd", db.logPath, db.bin, "-config", db.confPath)
	if err != nil {
		return err
	}
	db.proc = proc
	err = waitFor(30*time.Second, 100*time.Millisecond, func() (bool, error) {
		if proc.exited() {
			return false, fmt.Errorf("influxd exited: %v", proc.waitErr)
		}
		resp, err := db.client.Get("http://" + db.httpAddr + "/ping")
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNoContent, fmt.Errorf("/ping: %s", resp.Status)
	})
	if err != nil {
		_ = proc.kill()
		return err
	}
	return nil
}

// stop ends influxd; its data stays for the next start.
func (db *influxDB) stop() error {
	if db.proc == nil {
		return nil
	}
	err := db.proc.stop(15 * time.Second)
	db.proc = nil
	return err
}

func (db *influxDB) url() string { return "http://" + db.httpAddr }

// series is one series of an InfluxQL result.
type series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// column returns the values of one column.
func (s series) column(name string) []any {
	for i, c := range s.Columns {
		if c == name {
			out := make([]any, len(s.Values))
			for j, row := range s.Values {
				out[j] = row[i]
			}
			return out
		}
	}
	return nil
}

// query runs one InfluxQL statement. Numbers stay json.Number so that sums
// are read exactly as InfluxDB printed them.
func (db *influxDB) query(database, q string) ([]series, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	form := url.Values{"db": {database}, "q": {q}, "epoch": {"ns"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, db.url()+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := db.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Results []struct {
			Series []series `json:"series"`
			Error  string   `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: %s: %s", q, resp.Status, body)
	}
	if out.Error != "" {
		return nil, fmt.Errorf("%s: %s", q, out.Error)
	}
	if len(out.Results) != 1 {
		return nil, fmt.Errorf("%s: %d results, expected 1", q, len(out.Results))
	}
	if out.Results[0].Error != "" {
		return nil, fmt.Errorf("%s: %s", q, out.Results[0].Error)
	}
	return out.Results[0].Series, nil
}

// quoteString quotes a value as an InfluxQL string literal.
func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
