package ledger

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// A ledger that is lost or damaged is never deleted and never silently
// started anew: state_dir holds a marker saying that it held a ledger, and a
// recent consistent snapshot. A missing, empty or damaged file is moved
// aside and the snapshot restored; every item then resyncs in full and is
// reconciled against the restored index, so InfluxDB loses nothing and
// counts nothing twice. Without a snapshot the caller is told what was lost.

// Recovery says what Open found wrong and did about it.
type Recovery struct {
	// Problem is empty when the ledger opened as it was; otherwise
	// "missing", "empty" or "damaged".
	Problem string
	Cause   error
	// MovedTo is where the damaged file now is ("" when there was none).
	MovedTo string
	// Restored says the ledger was rebuilt as it was: from the snapshot
	// taken at SnapshotTime (zero when there was none yet) and Journaled
	// points handed out since.
	Restored     bool
	SnapshotTime time.Time
	Journaled    int
	// Items is how many items the rebuilt ledger resyncs and reconciles.
	Items int
}

// Happened reports whether Open had to recover.
func (r *Recovery) Happened() bool { return r.Problem != "" }

// Lost reports whether state was lost for good: nothing could be restored.
func (r *Recovery) Lost() bool { return r.Problem != "" && !r.Restored }

// Open opens the ledger in dir, creating it the first time, and recovers
// from a lost or damaged file as described above.
func Open(dir string, o Options) (*Ledger, Recovery, error) {
	if o.LockTimeout == 0 {
		o.LockTimeout = defaultLockTimeout
	}
	if o.SnapshotInterval == 0 {
		o.SnapshotInterval = defaultSnapshotInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var rec Recovery
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, rec, fmt.Errorf("creating state_dir: %w", err)
	}
	path := filepath.Join(dir, storeFile)
	held := exists(filepath.Join(dir, markerFile))

	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if held {
			rec.Problem, rec.Cause = "missing", fmt.Errorf("%s is gone", path)
		}
	case err != nil:
		return nil, rec, fmt.Errorf("state store %q: %w", path, err)
	case info.Size() == 0:
		if held {
			rec.Problem, rec.Cause = "empty", fmt.Errorf("%s is empty (0 bytes)", path)
		}
	}

	var db *bolt.DB
	if rec.Problem == "" {
		db, err = openChecked(path, o.LockTimeout, false)
		switch {
		case errors.Is(err, bolterrors.ErrTimeout):
			return nil, rec, fmt.Errorf("state_dir %q is %w: run one instance per state_dir", dir, ErrInUse)
		case errors.Is(err, fs.ErrPermission) || isReadOnly(err):
			return nil, rec, fmt.Errorf("state store %q cannot be written (%v): give the user plaid-sync runs as write access to state_dir", path, err)
		case err != nil:
			rec.Problem, rec.Cause = "damaged", err
		}
	}
	if rec.Problem != "" {
		if db, err = recoverFile(dir, path, o, &rec); err != nil {
			return nil, rec, err
		}
	}
	l := &Ledger{db: db, dir: dir, opts: o}
	// The check read every page; they need not stay resident.
	l.releaseMemory()
	fail := func(err error) (*Ledger, Recovery, error) {
		if l.journal != nil {
			_ = l.journal.close()
		}
		_ = db.Close()
		return nil, rec, err
	}
	if err := l.initialise(held); err != nil {
		return fail(err)
	}
	if rec.Restored {
		if rec.Items, err = l.resyncAll(); err != nil {
			return fail(fmt.Errorf("preparing the restored state store: %w", err))
		}
	}
	if l.journal, err = openJournal(dir); err != nil {
		return fail(err)
	}
	if info, err := os.Stat(filepath.Join(dir, snapshotFile)); err == nil {
		l.lastSnapshot = info.ModTime()
	} else if names, err := l.Items(); err == nil && len(names) > 0 && o.SnapshotInterval > 0 {
		// A ledger from before snapshots: take the first one now, so that
		// the snapshot and the journal cover everything from here on.
		if err := l.Snapshot(); err != nil {
			return fail(err)
		}
	}
	return l, rec, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func isReadOnly(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "read-only file system") || errors.Is(err, os.ErrPermission))
}

// openChecked opens a bbolt file and checks every page and every record. A
// damaged file can make bbolt panic or fault; both become errors.
func openChecked(path string, lockTimeout time.Duration, readOnly bool) (db *bolt.DB, err error) {
	defer faultsPanic()()
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				_ = db.Close()
				db = nil
			}
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  lockTimeout,
		ReadOnly: readOnly,
		// The freelist is stored: rebuilding it at open would read every
		// page of the file, memory that grows with the number of items.
		// A gather that finds nothing new commits nothing, so writing it
		// costs little.
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		return nil, err
	}
	if err := check(db); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// checkReleaseEvery is how often the check drops the pages it has read,
// which bounds its memory whatever the file's size.
const checkReleaseEvery = 5 * time.Millisecond

// check walks bbolt's own structure, then decodes every record. It reads
// every page, dropping them from memory as it goes.
func check(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error {
		// The read transaction keeps the mapping in place meanwhile.
		done := make(chan struct{})
		released := make(chan struct{})
		go func() {
			defer close(released)
			tick := time.NewTicker(checkReleaseEvery)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					releaseMapping(tx)
				}
			}
		}()
		defer func() { close(done); <-released }()
		// Every page is read here first, in this goroutine, where a page
		// that bbolt finds damaged panics into an error; tx.Check reads
		// them again in a goroutine of its own, where a panic could not be
		// recovered.
		if err := walkAll(tx); err != nil {
			return err
		}
		if err := checkRecords(tx); err != nil {
			return err
		}
		for err := range tx.Check() {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return nil
	})
}

// walkAll reads every key of every bucket.
func walkAll(tx *bolt.Tx) error {
	var walk func(b *bolt.Bucket) error
	walk = func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				if sub := b.Bucket(k); sub != nil {
					return walk(sub)
				}
			}
			return nil
		})
	}
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walk(b) })
}

// checkRecords decodes every record the ledger reads.
func checkRecords(tx *bolt.Tx) error {
	items := tx.Bucket(bucketItems)
	if items == nil {
		return nil
	}
	return items.ForEachBucket(func(name []byte) error {
		b := items.Bucket(name)
		if _, _, err := decodeMeta(string(name), b.Get(keyMeta)); err != nil {
			return err
		}
		bad := func(what string) error { return fmt.Errorf("item %q, %s: %w", name, what, ErrCorrupt) }
		if pts := b.Bucket(bucketPoints); pts != nil {
			if err := pts.ForEach(func(k, v []byte) error {
				if _, err := decodePoint(v); err != nil || len(k) != len(Key{}) {
					return bad("a point")
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if err := checkInvestmentIndex(b); err != nil {
			return bad("the investment index")
		}
		if txs := b.Bucket(bucketTx); txs != nil {
			if err := txs.ForEach(func(_, v []byte) error {
				if len(v) != len(Key{}) {
					return bad("the transaction index")
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if st := b.Bucket(bucketStaging); st != nil {
			if err := st.ForEach(func(_, v []byte) error {
				if _, err := decodeChanges(v); err != nil {
					return bad("a staged page")
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if ob := b.Bucket(bucketOutbox); ob != nil {
			return ob.ForEach(func(_, v []byte) error {
				if _, err := decodeOutboxEntry(v); err != nil {
					return bad("the outbox")
				}
				return nil
			})
		}
		return nil
	})
}

// recoverFile moves a lost or damaged file aside and rebuilds the ledger
// from the snapshot, when there is one that passes the check, and the
// journal.
func recoverFile(dir, path string, o Options, rec *Recovery) (*bolt.DB, error) {
	stamp := o.Now().UTC().Format("20060102T150405Z")
	if exists(path) {
		aside := fmt.Sprintf("%s.%s-%s", path, rec.Problem, stamp)
		if err := os.Rename(path, aside); err != nil {
			return nil, fmt.Errorf("moving the %s state store aside: %w", rec.Problem, err)
		}
		rec.MovedTo = aside
	}
	snapshotOK := true
	snap := filepath.Join(dir, snapshotFile)
	if info, err := os.Stat(snap); err == nil {
		if db, err := openChecked(snap, o.LockTimeout, true); err == nil {
			_ = db.Close()
			if err := copyFile(snap, path); err != nil {
				return nil, fmt.Errorf("restoring the snapshot %s: %w", snap, err)
			}
			rec.SnapshotTime = info.ModTime()
		} else {
			snapshotOK = false
			_ = os.Rename(snap, fmt.Sprintf("%s.damaged-%s", snap, stamp))
		}
	}
	db, err := openChecked(path, o.LockTimeout, false)
	if err != nil {
		return nil, fmt.Errorf("opening the state store after recovery: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketItems)
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	if snapshotOK {
		if rec.Journaled, err = replayJournals(dir, db); err != nil {
			db.Close()
			return nil, err
		}
		rec.Restored = !rec.SnapshotTime.IsZero() || rec.Journaled > 0
	}
	return db, nil
}

// initialise creates the top bucket and the marker that says state_dir holds
// a ledger.
func (l *Ledger) initialise(held bool) error {
	if err := l.db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketItems)
		return err
	}); err != nil {
		return fmt.Errorf("initialising the state store: %w", err)
	}
	if held {
		return nil
	}
	return writeFileAtomic(filepath.Join(l.dir, markerFile), []byte("plaid-sync state store; its loss is detected by this file\n"))
}

// resyncAll makes every item of a restored ledger resync in full.
func (l *Ledger) resyncAll() (int, error) {
	names, err := l.Items()
	if err != nil {
		return 0, err
	}
	for _, name := range names {
		if err := l.RejectCursor(name); err != nil {
			return 0, err
		}
	}
	return len(names), nil
}

// Checkpoint writes a snapshot when one is due: points were handed out
// since the last one, and the snapshot interval has passed. The plugin calls
// it after each gather, when every item is at rest.
func (l *Ledger) Checkpoint() error {
	l.mu.Lock()
	due := l.opts.SnapshotInterval > 0 && l.opts.Now().Sub(l.lastSnapshot) >= l.opts.SnapshotInterval
	l.mu.Unlock()
	if !due || l.journal.bytes() == 0 && !exists(filepath.Join(l.dir, oldJournalFile)) {
		return nil
	}
	return l.Snapshot()
}

// Snapshot writes a consistent copy of the ledger to state_dir now, and
// then drops the journal it makes redundant.
func (l *Ledger) Snapshot() (err error) {
	defer faultsPanic()()
	defer guard(&err)
	now := l.opts.Now()
	// Whatever is handed out from here on goes to the new journal; a commit
	// that made it into the old one is already in the copy taken below.
	if l.journal != nil {
		if err := l.journal.rotate(); err != nil {
			return fmt.Errorf("starting a new journal: %w", err)
		}
	}
	err = l.db.View(func(tx *bolt.Tx) error {
		return writeAtomic(filepath.Join(l.dir, snapshotFile), func(w io.Writer) error {
			_, err := tx.WriteTo(w)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("writing the state snapshot: %w", err)
	}
	if l.journal != nil {
		if err := l.journal.compacted(); err != nil {
			return err
		}
	}
	l.mu.Lock()
	l.lastSnapshot = now
	l.mu.Unlock()
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	return writeAtomic(to, func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	})
}

func writeFileAtomic(path string, data []byte) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic writes a file through a temporary file, fsync and rename, so
// that a crash leaves either the old or the new file.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
