// Package verify compares what InfluxDB holds with the plugin's ledger, and
// writes what brings InfluxDB back to it.
package verify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// InfluxConfig says how to reach InfluxDB 1.x over its HTTP API.
type InfluxConfig struct {
	URL      string
	Database string
	Username string
	Password string
	TLS      *tls.Config // nil: Go's defaults for https
	Timeout  time.Duration
}

// Influx is a client of InfluxDB 1.x's /query and /write endpoints.
type Influx struct {
	base     *url.URL
	database string
	username string
	password string
	http     *http.Client
}

// ErrNoMeasurement says that the database exists without the measurement.
var ErrNoMeasurement = errors.New("no such measurement")

type missingMeasurement struct{ database, measurement string }

func (e *missingMeasurement) Error() string {
	return fmt.Sprintf("database %q has no measurement %s: is it the database Telegraf writes plaid-sync's points to?", e.database, e.measurement)
}

func (e *missingMeasurement) Is(target error) bool { return target == ErrNoMeasurement }

// chunkSize is how many rows one chunk of a streamed query holds.
const chunkSize = 10000

// NewInflux checks the configuration; it does not connect.
func NewInflux(cfg InfluxConfig) (*Influx, error) {
	if cfg.URL == "" {
		return nil, errors.New("-influx-url is required")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-influx-url %q is not an http:// or https:// URL", cfg.URL)
	}
	if cfg.Database == "" {
		return nil, errors.New("-influx-database is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = cfg.TLS
	return &Influx{base: u, database: cfg.Database, username: cfg.Username, password: cfg.Password,
		http: &http.Client{Transport: transport, Timeout: cfg.Timeout}}, nil
}

// Database is the database the client reads and writes.
func (c *Influx) Database() string { return c.database }

// Check makes sure that the URL is an InfluxDB, that it accepts the
// credentials and holds the database and the measurement; each failure is
// one sentence.
func (c *Influx) Check(ctx context.Context, measurement string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint("ping"), nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.unreachable(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Influxdb-Version") == "" {
		return fmt.Errorf("%s is not InfluxDB: /ping answered %s without an X-Influxdb-Version header", c.base.Redacted(), resp.Status)
	}
	dbs, err := c.column(ctx, "", "SHOW DATABASES")
	if err != nil {
		return err
	}
	if !contains(dbs, c.database) {
		return fmt.Errorf("InfluxDB at %s has no database %q (it has %s)", c.base.Redacted(), c.database, listOrNone(dbs))
	}
	ms, err := c.column(ctx, c.database, "SHOW MEASUREMENTS WITH MEASUREMENT = "+QuoteIdent(measurement))
	if err != nil {
		return err
	}
	if !contains(ms, measurement) {
		return &missingMeasurement{database: c.database, measurement: measurement}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

func (c *Influx) endpoint(path string) string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + path
	return u.String()
}

func (c *Influx) unreachable(err error) error {
	var netErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot reach InfluxDB at %s: no such host %q", c.base.Redacted(), dnsErr.Name)
	case errors.As(err, &netErr) && netErr.Op == "dial":
		return fmt.Errorf("cannot reach InfluxDB at %s: %v (is it running?)", c.base.Redacted(), netErr.Err)
	}
	return fmt.Errorf("cannot reach InfluxDB at %s: %v", c.base.Redacted(), errors.Unwrap(err))
}

// Row is one row of a query result, with its series' tags.
type Row struct {
	Tags   map[string]string
	Values []any // json.Number, string, bool or nil, in the order of Columns
}

// Series is one series of a result chunk.
type Series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// Stream runs one InfluxQL statement with chunked results, so that a long
// answer is read chunk by chunk, and hands fn every series chunk.
func (c *Influx) Stream(ctx context.Context, q string, fn func(Series) error) error {
	return c.query(ctx, c.database, q, true, fn)
}

// column runs a SHOW statement and returns its first column.
func (c *Influx) column(ctx context.Context, database, q string) ([]string, error) {
	var out []string
	err := c.query(ctx, database, q, false, func(s Series) error {
		for _, row := range s.Values {
			if len(row) > 0 {
				out = append(out, fmt.Sprint(row[0]))
			}
		}
		return nil
	})
	return out, err
}

type chunk struct {
	Results []struct {
		Series []Series `json:"series"`
		Error  string   `json:"error"`
	} `json:"results"`
	Error string `json:"error"`
}

func (c *Influx) query(ctx context.Context, database, q string, chunked bool, fn func(Series) error) error {
	form := url.Values{"q": {q}, "epoch": {"ns"}}
	if database != "" {
		form.Set("db", database)
	}
	if chunked {
		form.Set("chunked", "true")
		form.Set("chunk_size", fmt.Sprint(chunkSize))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint("query"), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return c.unreachable(err)
	}
	defer resp.Body.Close()
	if err := c.status(resp); err != nil {
		return err
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	for {
		var ch chunk
		if err := dec.Decode(&ch); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading InfluxDB's answer to %s: %v", q, err)
		}
		if ch.Error != "" {
			return fmt.Errorf("InfluxDB: %s", ch.Error)
		}
		for _, r := range ch.Results {
			if r.Error != "" {
				if strings.HasPrefix(r.Error, "database not found") {
					return fmt.Errorf("InfluxDB at %s has no database %q", c.base.Redacted(), database)
				}
				return fmt.Errorf("InfluxDB: %s", r.Error)
			}
			for _, s := range r.Series {
				if err := fn(s); err != nil {
					return err
				}
			}
		}
	}
}

func (c *Influx) authorize(req *http.Request) {
	if c.username != "" || c.password != "" {
		req.SetBasicAuth(c.username, c.password)
	}
}

// status turns an HTTP error into one sentence.
func (c *Influx) status(resp *http.Response) error {
	if resp.StatusCode/100 == 2 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	msg := strings.TrimSpace(string(body))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		if c.username == "" {
			return fmt.Errorf("InfluxDB at %s needs credentials: set INFLUX_USERNAME and INFLUX_PASSWORD (%s)", c.base.Redacted(), msg)
		}
		return fmt.Errorf("InfluxDB at %s refused the credentials of user %q from INFLUX_USERNAME and INFLUX_PASSWORD (%s)", c.base.Redacted(), c.username, msg)
	case http.StatusNotFound:
		return fmt.Errorf("%s is not InfluxDB's HTTP API: %s answered 404", c.base.Redacted(), resp.Request.URL.Path)
	}
	if msg == "" {
		msg = resp.Status
	}
	return fmt.Errorf("InfluxDB at %s: %s", c.base.Redacted(), msg)
}

// Write sends line protocol with nanosecond timestamps to /write.
func (c *Influx) Write(ctx context.Context, lines []byte) error {
	q := url.Values{"db": {c.database}, "precision": {"ns"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint("write")+"?"+q.Encode(), bytes.NewReader(lines))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return c.unreachable(err)
	}
	defer resp.Body.Close()
	return c.status(resp)
}

// QuoteIdent quotes an InfluxQL identifier.
func QuoteIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// QuoteString quotes an InfluxQL string literal.
func QuoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
