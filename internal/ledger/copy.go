package ledger

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Copy is a private, read-only view of a ledger that another process may
// hold open: a copy of its snapshot, opened read-only, with the journals
// since laid over it in memory. It never takes the ledger's lock, so the
// running plugin is neither blocked nor slowed; it holds every point the
// plugin had handed out for writing when the copy was taken. Opening the
// copy read-only keeps bbolt from reading every page of it (which a writable
// open does to rebuild its free list), so that memory does not grow with
// history; the overlay grows only with what was written since the last
// snapshot.
type Copy struct {
	*Ledger
	// Snapshot is when the snapshot was taken (zero without one) and
	// Journaled how many journal records were laid over it.
	Snapshot  time.Time
	Journaled int
	tmp       string
	overlay   map[string]map[Key]Point // item -> key -> point, as last journaled
}

// copyAttempts bounds the retries when a snapshot is taken while the copy
// is being made.
const copyAttempts = 5

// OpenCopy makes a Copy of the ledger in dir under tmpParent ("" for the
// system's temporary directory).
func OpenCopy(dir, tmpParent string) (*Copy, error) {
	if !exists(filepath.Join(dir, storeFile)) && !exists(filepath.Join(dir, markerFile)) {
		return nil, fmt.Errorf("state_dir %q holds no state store", dir)
	}
	tmp, err := os.MkdirTemp(tmpParent, "plaid-ledger-copy-")
	if err != nil {
		return nil, fmt.Errorf("copying the state store: %w", err)
	}
	c, err := openCopy(dir, tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return c, nil
}

func openCopy(dir, tmp string) (*Copy, error) {
	c := &Copy{tmp: tmp, overlay: map[string]map[Key]Point{}}
	var err error
	for attempt := 0; ; attempt++ {
		var stable bool
		stable, err = copyFiles(dir, tmp, &c.Snapshot)
		if err != nil {
			return nil, err
		}
		if stable {
			break
		}
		if attempt == copyAttempts {
			return nil, fmt.Errorf("state_dir %q: a snapshot was taken during each of %d attempts to copy it", dir, copyAttempts)
		}
		time.Sleep(100 * time.Millisecond)
	}
	path := filepath.Join(tmp, storeFile)
	if !exists(path) {
		// No snapshot yet: an empty ledger under the journal.
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			return nil, fmt.Errorf("creating the copy of the state store: %w", err)
		}
		err = db.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists(bucketItems)
			return err
		})
		if err = errors.Join(err, db.Close()); err != nil {
			return nil, err
		}
	}
	// Not openChecked: checking reads every page, which is the memory this
	// view avoids; reads of a damaged page are turned into ErrCorrupt.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("opening the copy of the state snapshot: %w", err)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketItems) == nil {
			return fmt.Errorf("the state snapshot has no items: %w", ErrCorrupt)
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, err
	}
	for _, name := range []string{oldJournalFile, journalFile} {
		if err := c.readJournal(filepath.Join(tmp, name)); err != nil {
			db.Close()
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	c.Ledger = &Ledger{db: db, dir: dir, opts: Options{SnapshotInterval: -1}}
	return c, nil
}

// readJournal lays one journal's records over the copy; a record cut by a
// crash ends it, as in recovery.
func (c *Copy) readJournal(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		batch, err := readRecords(r, commitBatch)
		for _, rec := range batch {
			m := c.overlay[rec.item]
			if m == nil {
				m = map[Key]Point{}
				c.overlay[rec.item] = m
			}
			m[rec.key] = rec.point
		}
		c.Journaled += len(batch)
		if err != nil {
			return nil
		}
	}
}

// Items lists the items of the snapshot and of the journal.
func (c *Copy) Items() ([]string, error) {
	names, err := c.Ledger.Items()
	if err != nil {
		return nil, err
	}
	for item := range c.overlay {
		if !slices.Contains(names, item) {
			names = append(names, item)
		}
	}
	slices.Sort(names)
	return names, nil
}

// PointsByDay is the ledger's, with the journal's points laid over the
// snapshot's.
func (c *Copy) PointsByDay(item string, fn func(day uint32, points []Point) error) error {
	over := c.overlay[item]
	if len(over) == 0 {
		return c.Ledger.PointsByDay(item, fn)
	}
	keys := slices.SortedFunc(maps.Keys(over), func(a, b Key) int { return bytes.Compare(a[:], b[:]) })
	dayOf := func(k Key) uint32 { return binary.BigEndian.Uint32(k[:4]) }
	// overlayDays emits the journal's days before day, whole.
	overlayDays := func(before uint32, inclusive bool) error {
		for len(keys) > 0 && (dayOf(keys[0]) < before || inclusive && dayOf(keys[0]) == before) {
			day := dayOf(keys[0])
			var pts []Point
			for len(keys) > 0 && dayOf(keys[0]) == day {
				pts = append(pts, over[keys[0]])
				keys = keys[1:]
			}
			if err := fn(day, pts); err != nil {
				return err
			}
		}
		return nil
	}
	err := c.Ledger.walkDays(item, func(day uint32, dayKeys []Key, pts []Point) error {
		if err := overlayDays(day, false); err != nil {
			return err
		}
		for i, k := range dayKeys {
			if p, ok := over[k]; ok {
				pts[i] = p
			}
		}
		for len(keys) > 0 && dayOf(keys[0]) == day {
			if !slices.Contains(dayKeys, keys[0]) {
				pts = append(pts, over[keys[0]])
			}
			keys = keys[1:]
		}
		return fn(day, pts)
	})
	if err != nil {
		return err
	}
	return overlayDays(math.MaxUint32, true)
}

// copyFiles copies the snapshot and both journals into tmp. It reports
// whether none of them was replaced meanwhile: a snapshot renames the
// journal and replaces the snapshot file, which would leave a copy with a
// gap.
func copyFiles(dir, tmp string, snapshotTime *time.Time) (bool, error) {
	names := []string{snapshotFile, oldJournalFile, journalFile}
	before := make([]fs.FileInfo, len(names))
	for i, name := range names {
		before[i], _ = os.Stat(filepath.Join(dir, name))
	}
	for _, name := range names {
		dst := filepath.Join(tmp, name)
		if name == snapshotFile {
			dst = filepath.Join(tmp, storeFile)
		}
		_ = os.Remove(dst)
		if err := copyFile(filepath.Join(dir, name), dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("copying %s: %w", name, err)
		}
	}
	for i, name := range names {
		after, _ := os.Stat(filepath.Join(dir, name))
		if (before[i] == nil) != (after == nil) || before[i] != nil && !os.SameFile(before[i], after) {
			return false, nil
		}
	}
	*snapshotTime = time.Time{}
	if before[0] != nil {
		*snapshotTime = before[0].ModTime()
	}
	return true, nil
}

// Close closes the copy and removes it.
func (c *Copy) Close() error {
	err := c.db.Close()
	return errors.Join(err, os.RemoveAll(c.tmp))
}

// PointsByDay hands fn, in date order, the points of the item (live and
// tombstones) one civil day at a time, as the index now has them. The
// points of one day come in no particular time order. Pages of the file are
// dropped from memory as it goes, so that reading a long history needs no
// more memory than a short one.
func (l *Ledger) PointsByDay(item string, fn func(day uint32, points []Point) error) error {
	return l.walkDays(item, func(day uint32, _ []Key, points []Point) error { return fn(day, points) })
}

// walkDays is PointsByDay with each point's key.
func (l *Ledger) walkDays(item string, fn func(day uint32, keys []Key, points []Point) error) error {
	next := dayPrefix(0)
	for batches := 1; next != nil; batches++ {
		var days [][]Point
		var dayKeys [][]Key
		var dayNumbers []uint32
		n := 0
		err := l.view(item, func(it *itemTx) error {
			if it.points == nil {
				next = nil
				return nil
			}
			cur := it.points.Cursor()
			k, v := cur.Seek(next)
			for ; k != nil; k, v = cur.Next() {
				day := binary.BigEndian.Uint32(k[:4])
				if len(dayNumbers) == 0 || dayNumbers[len(dayNumbers)-1] != day {
					if n >= replayBatch {
						break
					}
					dayNumbers = append(dayNumbers, day)
					days = append(days, nil)
					dayKeys = append(dayKeys, nil)
				}
				p, err := decodePoint(v)
				if err != nil {
					return err
				}
				last := len(days) - 1
				days[last] = append(days[last], p)
				dayKeys[last] = append(dayKeys[last], Key(k))
				n++
			}
			next = nil
			if k != nil {
				next = append([]byte(nil), k...)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if batches%4 == 0 {
			l.releaseMemory()
		}
		for i, pts := range days {
			if err := fn(dayNumbers[i], dayKeys[i], pts); err != nil {
				return err
			}
		}
	}
	return nil
}
