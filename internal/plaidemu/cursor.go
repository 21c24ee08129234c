package plaidemu

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// A cursor is opaque to clients: base64url of a versioned payload bound to
// one item and protected by a checksum.
//
// A settled cursor names a point of the item's change log (base). An
// intermediate cursor, handed out while a page loop has more pages, also
// carries the head the loop started at, how far the loop got and the
// number of the next page. Both remember the account filter they were
// issued for.
type cursor struct {
	intermediate bool
	item         uint64 // hash of the item id
	epoch        uint32
	base         uint32
	head         uint32
	offset       uint32
	page         uint32
	account      uint32 // options.account_id's index + 1; 0 = all accounts
}

const (
	cursorVersion = 1
	cursorFields  = 6
	cursorSumAt   = 10 + 4*cursorFields
	cursorLen     = cursorSumAt + 8
)

var errBadCursor = errors.New("cursor is not valid")

func itemKey(itemID string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(itemID); i++ {
		h = (h ^ uint64(itemID[i])) * 0x100000001b3
	}
	return h
}

// cursorKey keys cursor checksums to the emulator's seed.
func (e *Emulator) cursorKey() uint64 { return hashValues(uint64(e.cfg.Seed), 0x637572736f72) }

func (c cursor) encode(key uint64) string {
	b := make([]byte, cursorLen)
	b[0] = cursorVersion
	if c.intermediate {
		b[1] = 1
	}
	binary.BigEndian.PutUint64(b[2:], c.item)
	for i, v := range []uint32{c.epoch, c.base, c.head, c.offset, c.page, c.account} {
		binary.BigEndian.PutUint32(b[10+4*i:], v)
	}
	binary.BigEndian.PutUint64(b[cursorSumAt:], cursorSum(key, b[:cursorSumAt]))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, key uint64) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != cursorLen || b[0] != cursorVersion || b[1] > 1 {
		return cursor{}, errBadCursor
	}
	if binary.BigEndian.Uint64(b[cursorSumAt:]) != cursorSum(key, b[:cursorSumAt]) {
		return cursor{}, errBadCursor
	}
	c := cursor{intermediate: b[1] == 1, item: binary.BigEndian.Uint64(b[2:])}
	vals := []*uint32{&c.epoch, &c.base, &c.head, &c.offset, &c.page, &c.account}
	for i, p := range vals {
		*p = binary.BigEndian.Uint32(b[10+4*i:])
	}
	return c, nil
}

func cursorSum(key uint64, payload []byte) uint64 {
	h := key
	for i := 0; i+8 <= len(payload); i += 8 {
		h = splitmix64(h ^ binary.BigEndian.Uint64(payload[i:]))
	}
	if rest := len(payload) % 8; rest != 0 {
		var tail [8]byte
		copy(tail[:], payload[len(payload)-rest:])
		h = splitmix64(h ^ binary.BigEndian.Uint64(tail[:]) ^ uint64(rest))
	}
	return h
}

// redactCursor shortens a cursor for error messages: enough to tell which
// one it was, without echoing arbitrary client input at length.
func redactCursor(s string) string {
	const keep = 16
	if len(s) <= keep {
		return s
	}
	return s[:keep] + "…"
}

// ResetCursors invalidates every sync cursor issued so far for an item
// (named by item name, item_id or access token), as when Plaid resets an
// item's transactions: afterwards such a cursor answers INVALID_FIELD, and
// an empty cursor starts the full history again. The item's transactions
// themselves stay as they are.
func (e *Emulator) ResetCursors(ref string) (ItemInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	it := e.findItem(ref)
	if it == nil || it.removed {
		return ItemInfo{}, fmt.Errorf("plaidemu: no live item named %q (use an item name, item_id or access_token)", redactToken(ref))
	}
	it.epoch++
	it.resetEpoch = it.epoch
	it.diff = diffCache{}
	return ItemInfo{Name: it.Name, ItemID: it.ID, AccessToken: it.AccessToken,
		InstitutionID: it.Inst.ID, InstitutionName: it.Inst.Name, Error: it.errCode}, nil
}
