package plaid

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// detailedCounts counts the live transactions of an item per
// category_detailed, as stored.
func detailedCounts(v *view, item string) map[string]int {
	out := map[string]int{}
	for _, p := range v.Points(measurementTransaction) {
		if p.Tags["item"] != item {
			continue
		}
		if removed, _ := p.Fields["removed"].(bool); removed {
			continue
		}
		d, _ := p.Fields["category_detailed"].(string)
		if d == "" {
			d = plaidemu.UncategorizedKey
		}
		out[d]++
	}
	return out
}

func truthDetailedCounts(it plaidemu.ItemTruth, version string) map[string]int {
	out := map[string]int{}
	for _, a := range it.Accounts {
		for name, c := range a.DetailedCategories[version] {
			if c.Count > 0 {
				out[name] += c.Count
			}
		}
	}
	return out
}

// TestPersonalFinanceCategoryVersion: personal_finance_category_version
// picks the taxonomy Plaid shapes transactions by; unset, the client gets
// what Plaid gives it (v1 for this emulated client).
func TestPersonalFinanceCategoryVersion(t *testing.T) {
	for _, version := range []string{"", pfcV1, pfcV2} {
		name := version
		if name == "" {
			name = "unset"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, plaidemu.Config{Seed: 21, Items: 2, HistoryDays: 60, TxPerDay: 6})
			p := h.plugin(func(p *Plaid) { p.PFCVersion = version })
			v := newInfluxView()
			v.add(newDelivery().gather(t, p)...)
			want := version
			if want == "" {
				want = plaidemu.PFCv1
			}
			gt := h.emu.GroundTruth()
			for _, it := range h.emu.Items() {
				got := detailedCounts(v, it.Name)
				require.Equal(t, truthDetailedCounts(itemTruth(t, gt, it.Name), want), got, it.Name)
				t.Logf("%s %s: %d detailed categories, e.g. INCOME_SALARY %d, INCOME_WAGES %d", name, it.Name, len(got), got["INCOME_SALARY"], got["INCOME_WAGES"])
			}
			requireMatchesTruth(t, v, gt)
		})
	}
}

// A client that enabled Transactions from December 2025 only gets v2, with
// the option unset or not.
func TestPersonalFinanceCategoryVersionOfAV2OnlyClient(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 22, Items: 1, HistoryDays: 60, TxPerDay: 6, PFCVersion: plaidemu.PFCv2})
	p := h.plugin()
	v := newInfluxView()
	v.add(newDelivery().gather(t, p)...)
	it := h.emu.Items()[0]
	require.Equal(t, truthDetailedCounts(itemTruth(t, h.emu.GroundTruth(), it.Name), plaidemu.PFCv2), detailedCounts(v, it.Name))
}

func TestPersonalFinanceCategoryVersionIsChecked(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 1, Items: 1, HistoryDays: 5})
	p := newPlugin(h.ini, t.TempDir(), nil)
	p.PFCVersion = "v3"
	require.ErrorContains(t, p.Init(), `personal_finance_category_version: "v3" is not "v1" or "v2"`)
}
