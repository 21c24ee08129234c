package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Copy is a private, read-only view of a ledger that another process may
// hold open: its snapshot with the journals replayed onto it, in a temporary
// directory. It never takes the ledger's lock, so the running plugin is
// neither blocked nor slowed; it holds every point the plugin had handed out
// for writing when the copy was taken.
type Copy struct {
	*Ledger
	// Snapshot is when the snapshot was taken (zero without one) and
	// Journaled how many journal records were replayed onto it.
	Snapshot  time.Time
	Journaled int
	tmp       string
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
	c := &Copy{tmp: tmp}
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
	db, err := bolt.Open(filepath.Join(tmp, storeFile), 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("opening the copy of the state store: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketItems)
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	if c.Journaled, err = replayJournals(tmp, db); err != nil {
		db.Close()
		return nil, err
	}
	c.Ledger = &Ledger{db: db, dir: dir, opts: Options{SnapshotInterval: -1}}
	return c, nil
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
// points of one day are in key order, not in time order. Pages of the file
// are dropped from memory as it goes, so that reading a long history needs
// no more memory than a short one.
func (l *Ledger) PointsByDay(item string, fn func(day uint32, points []Point) error) error {
	var next []byte = dayPrefix(0)
	for batches := 1; next != nil; batches++ {
		var days [][]Point
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
				}
				p, err := decodePoint(v)
				if err != nil {
					return err
				}
				days[len(days)-1] = append(days[len(days)-1], p)
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
		if batches%64 == 0 {
			l.releaseMemory()
		}
		for i, pts := range days {
			if err := fn(dayNumbers[i], pts); err != nil {
				return err
			}
		}
	}
	return nil
}
