package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// File names in state_dir.
const (
	storeFile    = "plaid-state.db"
	snapshotFile = "plaid-state.snapshot"
	markerFile   = "plaid-state.id"
)

var (
	bucketItems   = []byte("items")
	keyMeta       = []byte("meta")
	bucketTx      = []byte("tx")      // transaction_id -> Key of its live point
	bucketPoints  = []byte("points")  // Key -> Point (live or tombstone)
	bucketStaging = []byte("staging") // page sequence -> staged changes
	bucketOutbox  = []byte("outbox")  // sequence -> keys of points waiting for delivery
	bucketSeen    = []byte("seen")    // transaction_id -> nothing: what a resync mentioned
)

// Options tune a ledger; the zero value is the default.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file.
	LockTimeout time.Duration
	// SnapshotInterval is the least time between two snapshots; negative
	// turns snapshots off.
	SnapshotInterval time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

const (
	defaultLockTimeout      = 2 * time.Second
	defaultSnapshotInterval = time.Hour
)

// Ledger is the plugin's source of truth, one bbolt file in state_dir.
// InfluxDB is a projection of it. A Ledger is safe for concurrent use by the
// goroutines of a gather, one item each.
type Ledger struct {
	db   *bolt.DB
	dir  string
	opts Options

	journal *journal

	mu           sync.Mutex // guards what follows
	lastSnapshot time.Time
	delivered    map[string][]uint64 // outbox entries delivered, not yet deleted

	// metas holds each item's state and cursor as last read or committed,
	// so that a gather that changes nothing decodes nothing: an item's
	// state is read several times per gather.
	metasMu sync.RWMutex
	metas   map[string]cachedMeta
	// outboxTops holds, per item, the highest outbox sequence that may be
	// present, as last read; commits to the item drop it. A steady gather
	// then asks for undelivered points without a read transaction, which
	// would fault in the item's pages.
	outboxTops  map[string]uint64
	outboxEpoch uint64 // counts commits, so that a read they overtook is not remembered

	sinceRelease atomic.Int64 // changes committed since the pages were last dropped
	readsRelease atomic.Int64 // items read since the pages were last dropped
}

// cachedMeta is an item's state and cursor as the cache keeps them: the
// accounts in a slice, a fraction of a map's memory, which counts with
// thousands of items.
type cachedMeta struct {
	st       ItemState // without Accounts
	accounts []cachedAccount
	c        Cursor
}

type cachedAccount struct {
	id string
	Account
}

func newCachedMeta(st *ItemState, c *Cursor) *cachedMeta {
	m := &cachedMeta{st: *st, c: *c}
	m.st.Accounts = nil
	if len(st.Accounts) > 0 {
		m.accounts = make([]cachedAccount, 0, len(st.Accounts))
		for id, a := range st.Accounts {
			m.accounts = append(m.accounts, cachedAccount{id, a})
		}
	}
	return m
}

// copied is the cached value with a map of its own, since callers change
// what they get.
func (m *cachedMeta) copied() (ItemState, Cursor) {
	st := m.st
	if len(m.accounts) > 0 {
		st.Accounts = make(map[string]Account, len(m.accounts))
		for _, a := range m.accounts {
			st.Accounts[a.id] = a.Account
		}
	}
	return st, m.c
}

func (l *Ledger) cachedItem(name string) (cachedMeta, bool) {
	l.metasMu.RLock()
	defer l.metasMu.RUnlock()
	m, ok := l.metas[name]
	return m, ok
}

// remember caches what a read found, unless a commit got there first.
func (l *Ledger) remember(name string, st ItemState, c Cursor) {
	l.metasMu.Lock()
	defer l.metasMu.Unlock()
	if l.metas == nil {
		l.metas = make(map[string]cachedMeta)
	}
	if _, ok := l.metas[name]; !ok {
		l.metas[name] = *newCachedMeta(&st, &c)
	}
}

func (l *Ledger) forget(name string) {
	l.metasMu.Lock()
	defer l.metasMu.Unlock()
	delete(l.metas, name)
}

// outboxTop returns the highest outbox sequence the item may hold, when
// known.
func (l *Ledger) outboxTop(name string) (top uint64, known bool, epoch uint64) {
	l.metasMu.RLock()
	defer l.metasMu.RUnlock()
	top, known = l.outboxTops[name]
	return top, known, l.outboxEpoch
}

// rememberOutboxTop caches what a read that began at epoch found, unless a
// commit came since.
func (l *Ledger) rememberOutboxTop(name string, top, epoch uint64) {
	l.metasMu.Lock()
	defer l.metasMu.Unlock()
	if epoch != l.outboxEpoch {
		return
	}
	if l.outboxTops == nil {
		l.outboxTops = make(map[string]uint64)
	}
	l.outboxTops[name] = top
}

func (l *Ledger) forgetOutboxTop(name string) {
	l.metasMu.Lock()
	defer l.metasMu.Unlock()
	delete(l.outboxTops, name)
	l.outboxEpoch++
}

// committed caches what a commit wrote.
func (l *Ledger) committed(name string, m *cachedMeta) {
	l.metasMu.Lock()
	defer l.metasMu.Unlock()
	if l.metas == nil {
		l.metas = make(map[string]cachedMeta)
	}
	l.metas[name] = *m
}

// ErrInUse says that another process holds the ledger.
var ErrInUse = errors.New("in use by another plaid-sync process")

// Close writes a snapshot when one is due and closes the files.
func (l *Ledger) Close() error {
	if l == nil || l.db == nil {
		return nil
	}
	errs := []error{l.Checkpoint(), l.journal.close(), l.db.Close()}
	l.db = nil
	return errors.Join(errs...)
}

// guard turns a panic inside bbolt (a damaged page read at run time) into
// ErrCorrupt, so that a damaged file is reported instead of crashing the
// process; the next Open moves it aside.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", ErrCorrupt, r)
	}
}

func faultsPanic() func() {
	prev := debug.SetPanicOnFault(true)
	return func() { debug.SetPanicOnFault(prev) }
}

// denseFill is how full bbolt leaves a page it splits in the buckets that
// mostly grow (its default is half).
const denseFill = 0.9

// itemTx is one transaction over one item's buckets.
type itemTx struct {
	name    string
	bucket  *bolt.Bucket
	txs     *bolt.Bucket
	points  *bolt.Bucket
	staging *bolt.Bucket
	outbox  *bolt.Bucket
	// wrote is the state and cursor this transaction stored, cached once
	// it commits.
	wrote *cachedMeta
}

func (l *Ledger) update(item string, fn func(*itemTx) error) (err error) {
	defer faultsPanic()()
	defer guard(&err)
	delivered := l.takeDelivered(item)
	var it *itemTx
	defer func() {
		l.forgetOutboxTop(item)
		if err != nil {
			l.putBackDelivered(item, delivered)
			// A failed commit may or may not have reached the file: read
			// it again.
			l.forget(item)
		} else if it != nil && it.wrote != nil {
			l.committed(item, it.wrote)
		}
	}()
	return l.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketItems).CreateBucketIfNotExists([]byte(item))
		if err != nil {
			return err
		}
		it = &itemTx{name: item, bucket: b}
		for _, sub := range []struct {
			name []byte
			dst  **bolt.Bucket
		}{{bucketTx, &it.txs}, {bucketPoints, &it.points}, {bucketStaging, &it.staging}, {bucketOutbox, &it.outbox}} {
			if *sub.dst, err = b.CreateBucketIfNotExists(sub.name); err != nil {
				return err
			}
		}
		// Points and the index are written far more than they are
		// deleted: packed pages make a smaller file to map and copy.
		it.points.FillPercent, it.txs.FillPercent = denseFill, denseFill
		if err := dropDelivered(it.outbox, delivered); err != nil {
			return err
		}
		return fn(it)
	})
}

// view runs fn read-only; an item never synced has nil buckets.
func (l *Ledger) view(item string, fn func(*itemTx) error) (err error) {
	defer l.readItem()
	defer faultsPanic()()
	defer guard(&err)
	return l.db.View(func(tx *bolt.Tx) error {
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

// Items lists the items the ledger holds state for.
func (l *Ledger) Items() (names []string, err error) {
	defer faultsPanic()()
	defer guard(&err)
	err = l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketItems).ForEachBucket(func(k []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, err
}

// Item returns an item's state and sync cursor; an unknown item has zero
// values.
func (l *Ledger) Item(name string) (st ItemState, c Cursor, err error) {
	if m, ok := l.cachedItem(name); ok {
		st, c = m.copied()
		return st, c, nil
	}
	err = l.view(name, func(it *itemTx) error {
		st, c, err = it.meta()
		return err
	})
	if err == nil {
		l.remember(name, st, c)
	}
	return st, c, err
}

// UpdateItem changes the parts of an item's state that health and balance
// polls own; the cursor stays as the ledger has it.
func (l *Ledger) UpdateItem(name string, set func(*ItemState)) error {
	return l.update(name, func(it *itemTx) error {
		st, c, err := it.meta()
		if err != nil {
			return err
		}
		set(&st)
		return it.putMeta(&st, &c)
	})
}

func (it *itemTx) meta() (ItemState, Cursor, error) {
	if it.bucket == nil {
		return ItemState{}, Cursor{}, nil
	}
	return decodeMeta(it.name, it.bucket.Get(keyMeta))
}

func (it *itemTx) putMeta(st *ItemState, c *Cursor) error {
	raw, err := encodeMeta(st, c)
	if err != nil {
		return err
	}
	if err := it.bucket.Put(keyMeta, raw); err != nil {
		return err
	}
	it.wrote = newCachedMeta(st, c)
	return nil
}

func seqKey(seq uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return b[:]
}

func (it *itemTx) indexHeld() bool {
	k, _ := it.txs.Cursor().First()
	return k != nil
}

func (it *itemTx) stage(changes []Change) error {
	seq, err := it.staging.NextSequence()
	if err != nil {
		return err
	}
	return it.staging.Put(seqKey(seq), encodeChanges(changes))
}

// resetBucket empties one of the item's sub-buckets.
func (it *itemTx) resetBucket(name []byte) (*bolt.Bucket, error) {
	if err := it.bucket.DeleteBucket(name); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return nil, err
	}
	return it.bucket.CreateBucket(name)
}

func (it *itemTx) clearStaging() error {
	var err error
	it.staging, err = it.resetBucket(bucketStaging)
	if err == nil {
		err = it.dropSeen()
	}
	return err
}

func (it *itemTx) dropSeen() error {
	if err := it.bucket.DeleteBucket(bucketSeen); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return err
	}
	return nil
}

func (it *itemTx) firstStaged() (key []byte, changes []Change, err error) {
	k, v := it.staging.Cursor().First()
	if k == nil {
		return nil, nil, nil
	}
	changes, err = decodeChanges(v)
	return append([]byte(nil), k...), changes, err
}

func (it *itemTx) getPoint(k Key) (Point, bool, error) {
	raw := it.points.Get(k[:])
	if raw == nil {
		return Point{}, false, nil
	}
	p, err := decodePoint(raw)
	return p, true, err
}

func (it *itemTx) putPoint(k Key, p *Point) error {
	return it.points.Put(k[:], encodePoint(p))
}

func (it *itemTx) keyOf(transactionID string) (Key, bool) {
	var k Key
	raw := it.txs.Get([]byte(transactionID))
	if len(raw) != len(k) {
		return k, false
	}
	copy(k[:], raw)
	return k, true
}
