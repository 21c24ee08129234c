// Package lptruth checks what the plugin wrote against what Plaid holds. A
// View folds points the way InfluxDB stores them (a point is measurement +
// tag set + timestamp; writing it again merges its fields, the newest value
// winning), and Check compares the result with the emulator's ground truth:
// per account, the number of live transactions, sum(amount) to the cent, and
// the same per category.
package lptruth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// Point is one stored point.
type Point struct {
	Measurement string
	Tags        map[string]string
	Fields      map[string]any
	Time        time.Time
}

// View is a set of points keyed by their identity.
type View struct {
	points map[string]*Point
	lines  int
}

func NewView() *View { return &View{points: map[string]*Point{}} }

// Lines is how many points were added, re-writes included.
func (v *View) Lines() int { return v.lines }

// Len is how many distinct points the view holds.
func (v *View) Len() int { return len(v.points) }

// Add merges one point.
func (v *View) Add(measurement string, tags map[string]string, fields map[string]any, t time.Time) {
	v.lines++
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var id strings.Builder
	id.WriteString(measurement)
	for _, k := range keys {
		id.WriteString("," + k + "=" + tags[k])
	}
	fmt.Fprintf(&id, " %d", t.UnixNano())
	p, ok := v.points[id.String()]
	if !ok {
		p = &Point{Measurement: measurement, Tags: tags, Fields: map[string]any{}, Time: t}
		v.points[id.String()] = p
	}
	for k, val := range fields {
		p.Fields[k] = val
	}
}

// AddLineProtocol decodes line protocol with nanosecond timestamps.
func (v *View) AddLineProtocol(r io.Reader) error {
	dec := lineprotocol.NewDecoder(r)
	for dec.Next() {
		m, err := dec.Measurement()
		if err != nil {
			return err
		}
		measurement := string(m)
		tags := map[string]string{}
		for {
			k, val, err := dec.NextTag()
			if err != nil {
				return err
			}
			if k == nil {
				break
			}
			tags[string(k)] = string(val)
		}
		fields := map[string]any{}
		for {
			k, val, err := dec.NextField()
			if err != nil {
				return err
			}
			if k == nil {
				break
			}
			fields[string(k)] = val.Interface()
		}
		t, err := dec.Time(lineprotocol.Nanosecond, time.Time{})
		if err != nil {
			return err
		}
		if t.IsZero() {
			return fmt.Errorf("%s point without a timestamp", measurement)
		}
		v.Add(measurement, tags, fields, t)
	}
	return dec.Err()
}

// AddLineProtocolBytes is AddLineProtocol on a byte slice.
func (v *View) AddLineProtocolBytes(b []byte) error { return v.AddLineProtocol(bytes.NewReader(b)) }

// Points returns the points of one measurement, sorted by time.
func (v *View) Points(measurement string) []*Point {
	var out []*Point
	for _, p := range v.points {
		if p.Measurement == measurement {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *Point) int { return a.Time.Compare(b.Time) })
	return out
}

// CategoryTotals are the live transactions of one category and their sum.
type CategoryTotals = plaidemu.CategoryTruth

// AccountTotals are what InfluxQL would return for one account:
// count(transaction_id) WHERE removed = false, and sum(amount) with no filter.
type AccountTotals struct {
	Count      int
	SumCents   int64
	Categories map[string]CategoryTotals
}

// TransactionTotals returns the totals per item and account_id.
func (v *View) TransactionTotals() map[string]map[string]*AccountTotals {
	type sums struct {
		total float64
		cats  map[string]float64
	}
	out := map[string]map[string]*AccountTotals{}
	raw := map[*AccountTotals]*sums{}
	for _, p := range v.points {
		if p.Measurement != "plaid_transaction" {
			continue
		}
		item, account, category := p.Tags["item"], p.Tags["account_id"], p.Tags["category"]
		if out[item] == nil {
			out[item] = map[string]*AccountTotals{}
		}
		t := out[item][account]
		if t == nil {
			t = &AccountTotals{Categories: map[string]CategoryTotals{}}
			out[item][account] = t
			raw[t] = &sums{cats: map[string]float64{}}
		}
		amount, _ := p.Fields["amount"].(float64)
		raw[t].total += amount
		raw[t].cats[category] += amount
		if removed, _ := p.Fields["removed"].(bool); !removed {
			t.Count++
			c := t.Categories[category]
			c.Count++
			t.Categories[category] = c
		}
	}
	for t, s := range raw {
		t.SumCents = cents(s.total)
		for cat, sum := range s.cats {
			c := t.Categories[cat]
			c.SumCents = cents(sum)
			if c.Count == 0 && c.SumCents == 0 {
				delete(t.Categories, cat)
				continue
			}
			t.Categories[cat] = c
		}
	}
	return out
}

func cents(f float64) int64 { return int64(math.Round(f * 100)) }

// Check compares the view with the ground truth for the named items (all
// items when none are named) and says what differs. Only items that hold
// transactions at Plaid are compared; comparing nothing is an error.
func (v *View) Check(gt plaidemu.GroundTruth, items ...string) error {
	totals := v.TransactionTotals()
	var problems []string
	compared := 0
	for _, it := range gt.Items {
		if len(items) > 0 && !slices.Contains(items, it.Name) {
			continue
		}
		for _, acct := range it.Accounts {
			got := totals[it.Name][acct.AccountID]
			if got == nil {
				got = &AccountTotals{Categories: map[string]CategoryTotals{}}
			}
			where := fmt.Sprintf("%q / %s (%s)", it.Name, acct.Name, acct.AccountID)
			if got.Count != acct.Count {
				problems = append(problems, fmt.Sprintf("%s: %d live transactions, Plaid holds %d", where, got.Count, acct.Count))
			}
			if got.SumCents != acct.SumCents {
				problems = append(problems, fmt.Sprintf("%s: sum(amount) %.2f, Plaid holds %.2f", where, float64(got.SumCents)/100, float64(acct.SumCents)/100))
			}
			for cat, want := range acct.Categories {
				if want.Count == 0 && want.SumCents == 0 {
					continue
				}
				if g := got.Categories[cat]; g != want {
					problems = append(problems, fmt.Sprintf("%s category %s: %d transactions summing %.2f, Plaid holds %d summing %.2f",
						where, cat, g.Count, float64(g.SumCents)/100, want.Count, float64(want.SumCents)/100))
				}
			}
			for cat, g := range got.Categories {
				if _, ok := acct.Categories[cat]; !ok {
					problems = append(problems, fmt.Sprintf("%s category %s: %d transactions summing %.2f, Plaid holds none",
						where, cat, g.Count, float64(g.SumCents)/100))
				}
			}
			compared += acct.Count
		}
	}
	if len(problems) > 0 {
		const show = 20
		if len(problems) > show {
			problems = append(problems[:show], fmt.Sprintf("... and %d more", len(problems)-show))
		}
		return errors.New("the output differs from Plaid:\n  " + strings.Join(problems, "\n  "))
	}
	if compared == 0 {
		return errors.New("no transactions to compare: Plaid holds none for the items checked")
	}
	return nil
}
