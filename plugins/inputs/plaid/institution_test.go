package plaid

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// The plugin does not know an item's country before it asks: it finds
// institutions abroad as well as at home.
func TestInstitutionsAreFoundInEveryCountry(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 3, Items: -1})
	p := h.plugin()
	api, err := p.currentAPI()
	require.NoError(t, err)
	for id, want := range map[string]string{
		"ins_900102": "Thames Building Society", // GB
		"ins_900101": "Maple Leaf Savings",      // CA
		"ins_900104": "Rheinbank",               // DE
		"ins_3":      "Chase",                   // US
	} {
		name, err := api.institutionName(context.Background(), id)
		require.NoError(t, err, id)
		require.Equal(t, want, name)
	}
}
