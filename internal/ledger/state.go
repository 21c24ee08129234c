package ledger

import (
	"encoding/json"
	"fmt"
)

// Account is what the ledger remembers of one account of an item.
type Account struct {
	Name     string `json:"name"`
	Mask     string `json:"mask,omitempty"`
	Type     string `json:"type,omitempty"`
	Subtype  string `json:"subtype,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// Health is what /item/get last said about the item's health.
type Health struct {
	ErrorCode            string `json:"error_code,omitempty"`
	ErrorMessage         string `json:"error_message,omitempty"`
	LastSuccessfulUpdate int64  `json:"last_successful_update,omitempty"`
	LastFailedUpdate     int64  `json:"last_failed_update,omitempty"`
	ConsentExpiration    int64  `json:"consent_expiration,omitempty"`
}

// ItemState is the small per-item state other than the sync cursor: the
// token it belongs to, its accounts and products, and when health, balances,
// liabilities and holdings were last polled.
type ItemState struct {
	TokenFingerprint string             `json:"token_fingerprint,omitempty"`
	Accounts         map[string]Account `json:"accounts,omitempty"`
	ItemID           string             `json:"item_id,omitempty"`
	InstitutionID    string             `json:"institution_id,omitempty"`
	Institution      string             `json:"institution,omitempty"`
	InstitutionAt    int64              `json:"institution_at,omitempty"`
	BalancesAt       int64              `json:"balances_at,omitempty"`
	StatusAt         int64              `json:"status_at,omitempty"`
	// Products are the item's products as /item/get last listed them.
	Products      []string `json:"products,omitempty"`
	LiabilitiesAt int64    `json:"liabilities_at,omitempty"`
	HoldingsAt    int64    `json:"holdings_at,omitempty"`
	// InvestmentTxnsAt is when /investments/transactions/get was last read.
	InvestmentTxnsAt int64 `json:"investment_txns_at,omitempty"`
	// InvestmentRereadAt is when it last read the whole history Plaid keeps.
	InvestmentRereadAt int64  `json:"investment_reread_at,omitempty"`
	Status             Health `json:"status"`
	UpdateStatus       string `json:"update_status,omitempty"`
}

// meta is the stored form of an item's state and cursor, one JSON value.
type meta struct {
	ItemState
	Sync *Cursor `json:"sync,omitempty"`

	// The cursor fields of earlier versions, read once and converted.
	LegacyCursor        string `json:"cursor,omitempty"`
	LegacyLoopCursor    string `json:"loop_cursor,omitempty"`
	LegacyLoopPages     int    `json:"loop_pages,omitempty"`
	LegacyApplying      bool   `json:"applying,omitempty"`
	LegacyPendingCursor string `json:"pending_cursor,omitempty"`
}

func decodeMeta(item string, raw []byte) (ItemState, Cursor, error) {
	if raw == nil {
		return ItemState{}, Cursor{}, nil
	}
	var m meta
	if err := json.Unmarshal(raw, &m); err != nil {
		return ItemState{}, Cursor{}, fmt.Errorf("item %q: %w", item, ErrCorrupt)
	}
	if m.Sync != nil {
		return m.ItemState, *m.Sync, nil
	}
	c := Cursor{Committed: m.LegacyCursor, Pages: m.LegacyLoopPages}
	switch {
	case m.LegacyApplying:
		c.Phase, c.Final = Applying, m.LegacyPendingCursor
	case m.LegacyLoopCursor != "":
		c.Phase, c.Next = Fetching, m.LegacyLoopCursor
	default:
		c.Pages = 0
	}
	return m.ItemState, c, nil
}

func encodeMeta(st *ItemState, c *Cursor) ([]byte, error) {
	return json.Marshal(meta{ItemState: *st, Sync: c})
}
