package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
)

// Ledger is what verification reads of the plugin's ledger.
type Ledger interface {
	Items() ([]string, error)
	PointsByDay(item string, fn func(day uint32, points []ledger.Point) error) error
}

// Options shape a verification.
type Options struct {
	// ItemTag is the item tag the plugin writes for an item name.
	ItemTag func(item string) string
	// Metric is the point the plugin writes for a ledger point.
	Metric func(item string, p *ledger.Point) telegraf.Metric
	// Repair, when set, receives the points that bring InfluxDB to the
	// ledger, each with the kind of difference it repairs: the ledger's
	// point for every "missing" or "changed" one, a tombstone for every
	// live "orphan".
	Repair func(kind string, m telegraf.Metric) error
	// Window is about how many ledger points one InfluxDB query covers;
	// memory grows with it, not with history. 0 is 5,000.
	Window int
	// Examples is how many differences of each kind are named per account;
	// 0 is 5.
	Examples int
	// MissingMeasurementIsEmpty compares a database without the
	// transaction measurement as one holding no points, instead of failing:
	// for the plugin's self-check, after InfluxDB lost its data.
	MissingMeasurementIsEmpty bool
	// Location is the time zone dates are shown in; nil is UTC.
	Location *time.Location
	// Checks, when set, says which item tags this check covers: one
	// instance of several that split the items checks its own.
	Checks func(itemTag string) bool
}

// Totals are what a dashboard sums for an account.
type Totals struct {
	Live     int64 `json:"live"`
	IDs      int64 `json:"distinct_transaction_ids"`
	SumCents int64 `json:"sum_cents"`
	Pending  int64 `json:"pending"`
}

// Balance is the latest balance InfluxDB holds for an account.
type Balance struct {
	Current float64   `json:"current"`
	Time    time.Time `json:"time"`
}

// Difference names one point on which InfluxDB and the ledger disagree.
type Difference struct {
	Kind          string    `json:"kind"` // "missing", "changed" or "orphan"
	Time          time.Time `json:"time"`
	TransactionID string    `json:"transaction_id"`
	Ledger        string    `json:"ledger,omitempty"`
	InfluxDB      string    `json:"influxdb,omitempty"`
}

// Account is the comparison of one account of one item in one measurement.
type Account struct {
	Item        string `json:"item"`
	Measurement string `json:"measurement"`
	AccountID   string `json:"account_id"`
	Account     string `json:"account"`
	Ledger      Totals `json:"ledger"`
	InfluxDB    Totals `json:"influxdb"`
	// Missing points are in the ledger and not in InfluxDB; changed points
	// are in both with other values; orphans are live points InfluxDB has
	// at an identity the ledger does not know. Retracted orphans are such
	// points already made tombstones: they change no sum.
	Missing          int          `json:"missing"`
	Changed          int          `json:"changed"`
	Orphans          int          `json:"orphans"`
	RetractedOrphans int          `json:"retracted_orphans"`
	Balance          *Balance     `json:"balance,omitempty"`
	Differences      []Difference `json:"differences,omitempty"`
}

// Agrees reports whether InfluxDB holds exactly what the ledger says.
func (a *Account) Agrees() bool {
	return a.Ledger == a.InfluxDB && a.Missing == 0 && a.Changed == 0 && a.Orphans == 0
}

// Report is the result of one verification.
type Report struct {
	Database string        `json:"database"`
	Agree    bool          `json:"agree"`
	Items    int           `json:"items"`
	Points   int64         `json:"ledger_points"`
	Queried  int64         `json:"influxdb_points"`
	Repairs  int           `json:"repair_points"`
	Accounts []*Account    `json:"accounts"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// Totals adds up the differences of every account.
func (r *Report) Totals() (missing, changed, orphans, accounts int) {
	for _, a := range r.Accounts {
		missing += a.Missing
		changed += a.Changed
		orphans += a.Orphans
		if !a.Agrees() {
			accounts++
		}
	}
	return
}

// measurement is what comparing one measurement the ledger tracks needs.
type measurement struct {
	name    string
	idField string   // the field that holds the transaction's id
	pending bool     // its points have a pending field
	zeroed  []string // the fields a tombstone sets to 0
	// tags are a ledger point's tags but item.
	tags func(p *ledger.Point) map[string]string
}

var measurements = []*measurement{
	{name: ledger.Measurement, idField: "transaction_id", pending: true, zeroed: []string{"amount"},
		tags: func(p *ledger.Point) map[string]string {
			return map[string]string{"account": p.Account, "account_id": p.AccountID, "category": p.Category, "currency": p.Currency}
		}},
	{name: ledger.InvestmentMeasurement, idField: "investment_transaction_id", zeroed: []string{"amount", "quantity", "price", "fees"},
		tags: func(p *ledger.Point) map[string]string {
			return map[string]string{"account": p.Account, "account_id": p.AccountID, "type": p.Investment.Type,
				"subtype": p.Investment.Subtype, "currency": p.Currency}
		}},
}

// Verify compares, measurement by measurement (plaid_transaction, then
// plaid_investment_transaction), item by item and account by account, what
// InfluxDB holds with what the ledger says it should hold. Points are
// matched by their identity in InfluxDB (the tag set and the timestamp) and
// compared by transaction id, amount to the cent, pending and removed.
// InfluxDB is read in windows of time that follow the ledger's days, so
// neither side is held in memory whole. A database without investment
// transactions holds none.
func Verify(ctx context.Context, l Ledger, db *Influx, o Options) (*Report, error) {
	start := time.Now()
	if o.Window <= 0 {
		o.Window = 5000
	}
	if o.Examples <= 0 {
		o.Examples = 5
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if err := db.Check(ctx, ledger.Measurement); err != nil && !(o.MissingMeasurementIsEmpty && errors.Is(err, ErrNoMeasurement)) {
		return nil, err
	}
	names, err := l.Items()
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	type item struct{ name, tag string }
	var held []item
	known := map[string]bool{}
	for _, n := range names {
		tag := o.ItemTag(n)
		known[tag] = true
		held = append(held, item{n, tag})
	}
	r := &Report{Database: db.Database()}
	allTags := map[string]bool{}
	for _, m := range measurements {
		tags, err := db.tagValues(ctx, m.name, "item")
		if err != nil {
			return nil, err
		}
		items := slices.Clone(held)
		// Points of an item the ledger does not hold are all orphans.
		for _, tag := range tags {
			if !known[tag] {
				items = append(items, item{"", tag})
			}
		}
		if o.Checks != nil {
			items = slices.DeleteFunc(items, func(it item) bool { return !o.Checks(it.tag) })
		}
		sort.Slice(items, func(i, j int) bool { return items[i].tag < items[j].tag })
		for _, it := range items {
			allTags[it.tag] = true
			s := &scan{db: db, o: &o, m: m, item: it.name, tag: it.tag, accounts: map[string]*Account{}, report: r}
			if err := s.run(ctx, l); err != nil {
				return nil, err
			}
			ids := slices.Sorted(maps.Keys(s.accounts))
			for _, id := range ids {
				r.Accounts = append(r.Accounts, s.accounts[id])
			}
		}
	}
	r.Items = len(allTags)
	r.Agree = true
	for _, a := range r.Accounts {
		if !a.Agrees() {
			r.Agree = false
		}
	}
	r.Elapsed = time.Since(start)
	return r, nil
}

// scan compares one item.
type scan struct {
	db       *Influx
	o        *Options
	m        *measurement
	item     string // "" for an item only InfluxDB knows
	tag      string
	accounts map[string]*Account
	report   *Report
	err      error // the first error writing a repair
}

// entry is a ledger point of the window being compared.
type entry struct {
	point ledger.Point
	seen  bool
}

type window struct {
	entries    map[string]*entry
	order      []string
	minT, maxT int64
}

func (w *window) reset() {
	w.entries = map[string]*entry{}
	w.order = w.order[:0]
	w.minT, w.maxT = math.MaxInt64, math.MinInt64
}

func (s *scan) account(id, name string) *Account {
	if id == "" {
		id = "-"
	}
	a, ok := s.accounts[id]
	if !ok {
		a = &Account{Item: s.tag, Measurement: s.m.name, AccountID: id, Account: name}
		s.accounts[id] = a
	}
	if a.Account == "" {
		a.Account = name
	}
	return a
}

func (s *scan) run(ctx context.Context, l Ledger) error {
	var w window
	w.reset()
	var lo *int64
	if s.item != "" {
		err := l.PointsByDay(s.item, func(_ uint32, all []ledger.Point) error {
			pts := all[:0:0]
			dayMin := int64(math.MaxInt64)
			for i := range all {
				if all[i].Measurement() == s.m.name {
					pts = append(pts, all[i])
					dayMin = min(dayMin, all[i].Time)
				}
			}
			if len(pts) == 0 {
				return nil
			}
			// A window ends at a day boundary, and only where time order
			// agrees with date order (it does unless the time zone was
			// changed between syncs).
			if len(w.order) >= s.o.Window && dayMin > w.maxT {
				hi := dayMin
				if err := s.compare(ctx, lo, &hi, &w); err != nil {
					return err
				}
				lo = &hi
				w.reset()
			}
			for i := range pts {
				s.add(&w, &pts[i])
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading the ledger: %w", err)
		}
	}
	if err := s.compare(ctx, lo, nil, &w); err != nil {
		return err
	}
	if err := s.distinctIDs(ctx); err != nil {
		return err
	}
	return s.balances(ctx)
}

func (s *scan) add(w *window, p *ledger.Point) {
	key := identity(p.Time, s.ledgerTags(p))
	w.entries[key] = &entry{point: *p}
	w.order = append(w.order, key)
	w.minT, w.maxT = min(w.minT, p.Time), max(w.maxT, p.Time)
	s.report.Points++
	a := s.account(p.AccountID, p.Account)
	if p.Live {
		a.Ledger.Live++
		// The ledger holds one live point per transaction id.
		a.Ledger.IDs++
		a.Ledger.SumCents += cents(p.Amount)
		if p.Pending {
			a.Ledger.Pending++
		}
	}
}

func (s *scan) ledgerTags(p *ledger.Point) map[string]string {
	tags := s.m.tags(p)
	tags["item"] = s.tag
	return tags
}

// identity is a point's identity in InfluxDB: its timestamp and the tags
// that have a value.
func identity(t int64, tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(strconv.FormatInt(t, 10))
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(tags[k])
	}
	return b.String()
}

func cents(x float64) int64 { return int64(math.Round(x * 100)) }

// influxPoint is a transaction point as InfluxDB returned it.
type influxPoint struct {
	time    int64
	amount  float64
	removed bool
	pending bool
	txID    string
}

func (s *scan) compare(ctx context.Context, lo, hi *int64, w *window) error {
	fields := `"amount", "removed", ` + QuoteIdent(s.m.idField)
	if s.m.pending {
		fields += `, "pending"`
	}
	q := fmt.Sprintf(`SELECT %s FROM %s WHERE "item" = %s`, fields, QuoteIdent(s.m.name), QuoteString(s.tag))
	if lo != nil {
		q += fmt.Sprintf(" AND time >= %d", *lo)
	}
	if hi != nil {
		q += fmt.Sprintf(" AND time < %d", *hi)
	}
	q += " GROUP BY *"
	err := s.db.Stream(ctx, q, func(sr Series) error {
		col := columns(sr.Columns)
		for _, row := range sr.Values {
			ip, err := parsePoint(col, row, s.m.idField)
			if err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
			s.report.Queried++
			s.match(w, sr.Tags, &ip)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.err != nil {
		return fmt.Errorf("writing the repair: %w", s.err)
	}
	for _, key := range w.order {
		e := w.entries[key]
		if e.seen {
			continue
		}
		a := s.account(e.point.AccountID, e.point.Account)
		a.Missing++
		s.example(a, Difference{Kind: "missing", Time: s.when(e.point.Time), TransactionID: e.point.TransactionID, Ledger: describeLedger(&e.point)})
		if err := s.repair("missing", s.o.Metric(s.item, &e.point)); err != nil {
			return fmt.Errorf("writing the repair: %w", err)
		}
	}
	return nil
}

func (s *scan) when(t int64) time.Time { return time.Unix(0, t).In(s.o.Location) }

func (s *scan) match(w *window, tags map[string]string, ip *influxPoint) {
	a := s.account(tags["account_id"], tags["account"])
	if !ip.removed {
		a.InfluxDB.Live++
		if ip.pending {
			a.InfluxDB.Pending++
		}
	}
	// A dashboard's sum(amount) counts every point; a tombstone adds 0.
	a.InfluxDB.SumCents += cents(ip.amount)

	e, ok := w.entries[identity(ip.time, tags)]
	if !ok {
		if ip.removed && cents(ip.amount) == 0 {
			a.RetractedOrphans++
			return
		}
		a.Orphans++
		s.example(a, Difference{Kind: "orphan", Time: s.when(ip.time), TransactionID: ip.txID, InfluxDB: describeInflux(ip)})
		s.repairErr("orphan", s.tombstone(tags, ip))
		return
	}
	e.seen = true
	p := &e.point
	same := ip.txID == p.TransactionID && ip.removed == !p.Live
	if p.Live {
		same = same && cents(ip.amount) == cents(p.Amount) && ip.pending == p.Pending
	} else {
		same = same && cents(ip.amount) == 0
	}
	if !same {
		a.Changed++
		s.example(a, Difference{Kind: "changed", Time: s.when(p.Time), TransactionID: p.TransactionID, Ledger: describeLedger(p), InfluxDB: describeInflux(ip)})
		s.repairErr("changed", s.o.Metric(s.item, p))
	}
}

func (s *scan) example(a *Account, d Difference) {
	n := 0
	for _, x := range a.Differences {
		if x.Kind == d.Kind {
			n++
		}
	}
	if n < s.o.Examples {
		a.Differences = append(a.Differences, d)
	}
}

// tombstone is the point that retracts an orphan: its own identity, with
// amount 0 and removed=true.
func (s *scan) tombstone(tags map[string]string, ip *influxPoint) telegraf.Metric {
	m := metric.New(s.m.name, nil, nil, time.Unix(0, ip.time))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if tags[k] != "" {
			m.AddTag(k, tags[k])
		}
	}
	for _, f := range s.m.zeroed {
		m.AddField(f, 0.0)
	}
	m.AddField("removed", true)
	if ip.txID != "" {
		m.AddField(s.m.idField, ip.txID)
	}
	return m
}

// repairErr keeps the first error of writing repairs; compare returns it.
func (s *scan) repairErr(kind string, m telegraf.Metric) {
	if err := s.repair(kind, m); err != nil && s.err == nil {
		s.err = err
	}
}

func (s *scan) repair(kind string, m telegraf.Metric) error {
	if s.o.Repair == nil {
		return nil
	}
	s.report.Repairs++
	return s.o.Repair(kind, m)
}

func describeLedger(p *ledger.Point) string {
	if !p.Live {
		return "tombstone"
	}
	return describe(p.Amount, p.Pending)
}

func describeInflux(ip *influxPoint) string {
	if ip.removed {
		if cents(ip.amount) == 0 {
			return "tombstone"
		}
		return fmt.Sprintf("removed, amount %.2f", ip.amount)
	}
	return describe(ip.amount, ip.pending)
}

func describe(amount float64, pending bool) string {
	s := fmt.Sprintf("amount %.2f", amount)
	if pending {
		s += ", pending"
	}
	return s
}

func columns(cols []string) map[string]int {
	m := make(map[string]int, len(cols))
	for i, c := range cols {
		m[c] = i
	}
	return m
}

func parsePoint(col map[string]int, row []any, idField string) (influxPoint, error) {
	var ip influxPoint
	get := func(name string) any {
		if i, ok := col[name]; ok && i < len(row) {
			return row[i]
		}
		return nil
	}
	t, ok := get("time").(json.Number)
	if !ok {
		return ip, fmt.Errorf("a row without a time")
	}
	var err error
	if ip.time, err = t.Int64(); err != nil {
		return ip, fmt.Errorf("time %q: %v", t, err)
	}
	if n, ok := get("amount").(json.Number); ok {
		if ip.amount, err = n.Float64(); err != nil {
			return ip, fmt.Errorf("amount %q: %v", n, err)
		}
	}
	ip.removed, _ = get("removed").(bool)
	ip.pending, _ = get("pending").(bool)
	ip.txID, _ = get(idField).(string)
	return ip, nil
}

// tagValues lists the values of one tag of a measurement.
func (c *Influx) tagValues(ctx context.Context, measurement, key string) ([]string, error) {
	var out []string
	q := fmt.Sprintf("SHOW TAG VALUES FROM %s WITH KEY = %s", QuoteIdent(measurement), QuoteIdent(key))
	err := c.Stream(ctx, q, func(s Series) error {
		i := columns(s.Columns)["value"]
		for _, row := range s.Values {
			if i < len(row) {
				out = append(out, fmt.Sprint(row[i]))
			}
		}
		return nil
	})
	return out, err
}

// distinctIDs asks InfluxDB how many distinct transaction ids each account's
// live points have: a count no one process need hold in memory.
func (s *scan) distinctIDs(ctx context.Context) error {
	q := fmt.Sprintf(`SELECT count(distinct(%s)) FROM %s WHERE "item" = %s AND "removed" = false GROUP BY "account_id"`,
		QuoteIdent(s.m.idField), QuoteIdent(s.m.name), QuoteString(s.tag))
	return s.db.Stream(ctx, q, func(sr Series) error {
		a := s.account(sr.Tags["account_id"], "")
		for _, row := range sr.Values {
			if len(row) > 1 {
				if n, ok := row[1].(json.Number); ok {
					v, _ := n.Int64()
					a.InfluxDB.IDs += v
				}
			}
		}
		return nil
	})
}

// balances adds the latest balance of each account the comparison found.
func (s *scan) balances(ctx context.Context) error {
	q := fmt.Sprintf(`SELECT last("current") FROM "plaid_balance" WHERE "item" = %s GROUP BY "account_id"`, QuoteString(s.tag))
	return s.db.Stream(ctx, q, func(sr Series) error {
		a, ok := s.accounts[sr.Tags["account_id"]]
		if !ok || len(sr.Values) == 0 || len(sr.Values[0]) < 2 {
			return nil
		}
		t, _ := sr.Values[0][0].(json.Number)
		v, _ := sr.Values[0][1].(json.Number)
		ns, err1 := t.Int64()
		cur, err2 := v.Float64()
		if err1 == nil && err2 == nil {
			a.Balance = &Balance{Current: cur, Time: time.Unix(0, ns).In(s.o.Location)}
		}
		return nil
	})
}
