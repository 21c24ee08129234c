package plaid

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// The store is the plugin's source of truth: per item, the committed sync
// cursor, every transaction's point identity, every point ever written
// (live or tombstone), the pages of an unfinished sync loop, and the points
// committed but not yet delivered downstream. InfluxDB is a projection of it.

const storeFile = "plaid-state.db"

var (
	bucketItems   = []byte("items")
	keyMeta       = []byte("meta")
	bucketTx      = []byte("tx")      // transaction_id -> pointKey of its live point
	bucketPoints  = []byte("points")  // pointKey -> point (live or tombstone)
	bucketStaging = []byte("staging") // page sequence -> staged changes
	bucketOutbox  = []byte("outbox")  // sequence -> identities of points waiting for delivery
)

type store struct {
	db *bolt.DB
}

func openStore(dir string, lockTimeout time.Duration) (*store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state_dir: %w", err)
	}
	path := filepath.Join(dir, storeFile)
	// The freelist is rebuilt at open rather than written at every commit:
	// commits are frequent (two per sync page) and opens rare.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("state_dir %q is in use by another plaid-sync process: run one instance per state_dir", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("opening state store %q: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketItems)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising state store %q: %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

// itemTx is one transaction on one item's buckets.
type itemTx struct {
	name    string
	bucket  *bolt.Bucket
	txs     *bolt.Bucket
	points  *bolt.Bucket
	staging *bolt.Bucket
	outbox  *bolt.Bucket
}

func (s *store) update(item string, fn func(*itemTx) error) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketItems).CreateBucketIfNotExists([]byte(item))
		if err != nil {
			return err
		}
		it := &itemTx{name: item, bucket: b}
		for _, sub := range []struct {
			name []byte
			dst  **bolt.Bucket
		}{{bucketTx, &it.txs}, {bucketPoints, &it.points}, {bucketStaging, &it.staging}, {bucketOutbox, &it.outbox}} {
			if *sub.dst, err = b.CreateBucketIfNotExists(sub.name); err != nil {
				return err
			}
		}
		return fn(it)
	})
}

// view runs fn read-only; an item that was never synced has nil buckets.
func (s *store) view(item string, fn func(*itemTx) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		it := &itemTx{name: item}
		if b := tx.Bucket(bucketItems).Bucket([]byte(item)); b != nil {
			it.bucket = b
			it.txs = b.Bucket(bucketTx)
			it.points = b.Bucket(bucketPoints)
			it.staging = b.Bucket(bucketStaging)
			it.outbox = b.Bucket(bucketOutbox)
		}
		return fn(it)
	})
}

// itemNames lists the items the store holds state for.
func (s *store) itemNames() ([]string, error) {
	var names []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketItems).ForEachBucket(func(k []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, err
}

// itemMeta is the small, per-item state kept as one JSON value.
type itemMeta struct {
	TokenFingerprint string `json:"token_fingerprint,omitempty"`
	Cursor           string `json:"cursor,omitempty"`
	// An unfinished page loop: the cursor for its next page and how many
	// pages are staged. A loop cut short by the deadline or a kill resumes here.
	LoopCursor string `json:"loop_cursor,omitempty"`
	LoopPages  int    `json:"loop_pages,omitempty"`
	// Applying is set when the loop's last page is staged: the staged pages
	// are then applied to the index and PendingCursor becomes Cursor.
	Applying      bool                   `json:"applying,omitempty"`
	PendingCursor string                 `json:"pending_cursor,omitempty"`
	Accounts      map[string]accountInfo `json:"accounts,omitempty"`
	ItemID        string                 `json:"item_id,omitempty"`
	InstitutionID string                 `json:"institution_id,omitempty"`
	Institution   string                 `json:"institution,omitempty"`
	InstitutionAt int64                  `json:"institution_at,omitempty"`
	BalancesAt    int64                  `json:"balances_at,omitempty"`
	StatusAt      int64                  `json:"status_at,omitempty"`
	Status        Health                 `json:"status"`
	UpdateStatus  string                 `json:"update_status,omitempty"`
}

type accountInfo struct {
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

func (it *itemTx) meta() (itemMeta, error) {
	var m itemMeta
	if it.bucket == nil {
		return m, nil
	}
	raw := it.bucket.Get(keyMeta)
	if raw == nil {
		return m, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("item %q: %w", it.name, errCorruptRecord)
	}
	return m, nil
}

func (it *itemTx) putMeta(m *itemMeta) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return it.bucket.Put(keyMeta, raw)
}

func seqKey(seq uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return b[:]
}

func (it *itemTx) stage(changes []change) error {
	seq, err := it.staging.NextSequence()
	if err != nil {
		return err
	}
	return it.staging.Put(seqKey(seq), encodeChanges(changes))
}

// clearStaging drops the pages of an abandoned loop.
func (it *itemTx) clearStaging() error {
	if err := it.bucket.DeleteBucket(bucketStaging); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return err
	}
	var err error
	it.staging, err = it.bucket.CreateBucket(bucketStaging)
	return err
}

// firstStaged returns the oldest staged page, or nil when none is left.
func (it *itemTx) firstStaged() (key []byte, changes []change, err error) {
	k, v := it.staging.Cursor().First()
	if k == nil {
		return nil, nil, nil
	}
	changes, err = decodeChanges(v)
	return append([]byte(nil), k...), changes, err
}

// putOutbox adds an outbox entry listing point identities.
func (it *itemTx) putOutbox(keys []pointKey) (uint64, error) {
	seq, err := it.outbox.NextSequence()
	if err != nil {
		return 0, err
	}
	v := make([]byte, 0, len(keys)*len(pointKey{}))
	for _, k := range keys {
		v = append(v, k[:]...)
	}
	return seq, it.outbox.Put(seqKey(seq), v)
}

func decodeOutboxEntry(v []byte) ([]pointKey, error) {
	var k pointKey
	if len(v)%len(k) != 0 {
		return nil, errCorruptRecord
	}
	keys := make([]pointKey, len(v)/len(k))
	for i := range keys {
		copy(keys[i][:], v[i*len(k):])
	}
	return keys, nil
}

func (it *itemTx) getPoint(k pointKey) (point, bool, error) {
	raw := it.points.Get(k[:])
	if raw == nil {
		return point{}, false, nil
	}
	p, err := decodePoint(raw)
	return p, true, err
}

func (it *itemTx) putPoint(k pointKey, p *point) error {
	return it.points.Put(k[:], encodePoint(p))
}

func (it *itemTx) pointKeyOf(transactionID string) (pointKey, bool) {
	var k pointKey
	raw := it.txs.Get([]byte(transactionID))
	if len(raw) != len(k) {
		return k, false
	}
	copy(k[:], raw)
	return k, true
}
