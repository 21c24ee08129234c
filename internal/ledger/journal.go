package ledger

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The journal is a redo log of every point the ledger hands out for
// writing, kept in its own file beside the ledger. A snapshot is a
// compaction of it: the journal holds exactly what was handed out since the
// last snapshot. Restoring the snapshot and replaying the journal rebuilds
// the index as it was when the ledger was lost, so the resync that follows
// can retract even the points written after the snapshot.
//
// Each record is: length (4 bytes), CRC-32C of the body (4), then the body:
// item name, key and point. A record cut by a crash ends the file's replay.

const (
	journalFile    = "plaid-state.journal"
	oldJournalFile = "plaid-state.journal.old"
)

type journal struct {
	mu   sync.Mutex
	dir  string
	f    *os.File
	size int64
	buf  []byte // reused to encode a group's records
}

func openJournal(dir string) (*journal, error) {
	j := &journal{dir: dir}
	return j, j.reopen()
}

func (j *journal) reopen() error {
	f, err := os.OpenFile(filepath.Join(j.dir, journalFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the journal: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	j.f, j.size = f, info.Size()
	return nil
}

// record appends the groups' points and makes them durable. Records are
// written a group at a time, through one buffer, so a large commit needs no
// large buffer.
func (j *journal) record(groups ...Group) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	start, wrote := j.size, false
	for _, g := range groups {
		if len(g.Points) == 0 {
			continue
		}
		buf := j.buf[:0]
		for i := range g.Points {
			head := len(buf)
			buf = append(buf, make([]byte, 8)...) // length and checksum, below
			e := encoder{buf: buf}
			e.string(g.Item)
			e.buf = append(e.buf, g.keys[i][:]...)
			buf = appendPoint(e.buf, &g.Points[i])
			body := buf[head+8:]
			binary.BigEndian.PutUint32(buf[head:], uint32(len(body)))
			binary.BigEndian.PutUint32(buf[head+4:], crc32.Checksum(body, castagnoli))
		}
		j.buf = buf
		n, err := j.f.Write(buf)
		j.size += int64(n)
		if err != nil {
			return j.undo(start, err)
		}
		wrote = true
	}
	if !wrote {
		return nil
	}
	if err := j.f.Sync(); err != nil {
		return j.undo(start, err)
	}
	return nil
}

// undo cuts the journal back to size after a failed write, so that the next
// record starts cleanly; a torn record left by a crash is skipped on replay.
func (j *journal) undo(size int64, err error) error {
	if terr := j.f.Truncate(size); terr == nil {
		j.size = size
	}
	return fmt.Errorf("writing the journal: %w", err)
}

func (j *journal) bytes() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.size
}

// rotate starts a new journal for what follows a snapshot about to be
// taken; the previous one is kept as the old journal until the snapshot is
// durable. An old journal left by a snapshot that failed is kept, with the
// current one appended to it.
func (j *journal) rotate() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	cur, old := filepath.Join(j.dir, journalFile), filepath.Join(j.dir, oldJournalFile)
	if err := j.f.Close(); err != nil {
		return err
	}
	if exists(old) {
		if err := appendFile(old, cur); err != nil {
			_ = j.reopen()
			return err
		}
		if err := os.Remove(cur); err != nil {
			_ = j.reopen()
			return err
		}
	} else if err := os.Rename(cur, old); err != nil {
		_ = j.reopen()
		return err
	}
	return j.reopen()
}

// compacted drops the old journal once a snapshot holds all of it.
func (j *journal) compacted() error {
	err := os.Remove(filepath.Join(j.dir, oldJournalFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f.Close()
}

func appendFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// replayJournals redoes the old journal, then the current one, into db: each
// point as it was last handed out, and the index pointing at the live ones.
// It returns how many records it replayed.
func replayJournals(dir string, db *bolt.DB) (int, error) {
	total := 0
	for _, name := range []string{oldJournalFile, journalFile} {
		n, err := replayJournal(filepath.Join(dir, name), db)
		total += n
		if err != nil {
			return total, fmt.Errorf("replaying %s: %w", name, err)
		}
	}
	return total, nil
}

func replayJournal(path string, db *bolt.DB) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	total := 0
	for {
		batch, err := readRecords(r, commitBatch)
		if len(batch) > 0 {
			if err := db.Update(func(tx *bolt.Tx) error { return redo(tx, batch) }); err != nil {
				return total, err
			}
			total += len(batch)
		}
		if err != nil {
			return total, nil // the end, or a record cut by a crash
		}
	}
}

type journalRecord struct {
	item  string
	key   Key
	point Point
}

func readRecords(r *bufio.Reader, max int) ([]journalRecord, error) {
	var out []journalRecord
	var head [8]byte
	for len(out) < max {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return out, err
		}
		n, sum := binary.BigEndian.Uint32(head[:4]), binary.BigEndian.Uint32(head[4:])
		if n > 1<<20 {
			return out, ErrCorrupt
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return out, err
		}
		if crc32.Checksum(body, castagnoli) != sum {
			return out, ErrCorrupt
		}
		d := decoder{buf: body}
		item := d.string()
		var rec journalRecord
		if d.err != nil || len(d.buf) < len(rec.key) {
			return out, ErrCorrupt
		}
		copy(rec.key[:], d.buf)
		p, err := decodePoint(d.buf[len(rec.key):])
		if err != nil {
			return out, err
		}
		rec.item, rec.point = item, p
		out = append(out, rec)
	}
	return out, nil
}

func redo(tx *bolt.Tx, records []journalRecord) error {
	items := tx.Bucket(bucketItems)
	var redeliver investmentRedelivery
	for _, rec := range records {
		b, err := items.CreateBucketIfNotExists([]byte(rec.item))
		if err != nil {
			return err
		}
		points, err := b.CreateBucketIfNotExists(bucketPoints)
		if err != nil {
			return err
		}
		index := bucketTx
		if rec.point.Investment != nil {
			index = bucketInvestments
			redeliver.add(rec.item, rec.key)
		}
		txs, err := b.CreateBucketIfNotExists(index)
		if err != nil {
			return err
		}
		if err := points.Put(rec.key[:], encodePoint(&rec.point)); err != nil {
			return err
		}
		id := []byte(rec.point.TransactionID)
		switch held := txs.Get(id); {
		case rec.point.Live:
			err = txs.Put(id, rec.key[:])
		case len(held) == len(Key{}) && Key(held) == rec.key:
			err = txs.Delete(id)
		}
		if err != nil {
			return err
		}
	}
	return redeliver.list(items)
}
