package ledger

import (
	"bufio"
	"bytes"
	"os"
	"strconv"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// releaseMemory drops the ledger's file pages from the process's resident
// set. bbolt reads through a memory map, so a backfill would otherwise keep
// every page of the index it touched resident for the life of the process:
// memory that looks like the plugin's although the kernel can reclaim it. The
// pages stay in the page cache and fault back in when read again. An open
// read transaction holds bbolt's mmap lock, so the mapping cannot move
// meanwhile.
func (l *Ledger) releaseMemory() {
	_ = l.db.View(func(*bolt.Tx) error {
		releaseMapping(l.db)
		return nil
	})
}

// releaseMapping drops db's mapped pages; the caller holds a read
// transaction.
func releaseMapping(db *bolt.DB) {
	start := db.Info().Data
	if size := mappingSize(start); size > 0 {
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, start, size, unix.MADV_DONTNEED)
	}
}

// mappingSize returns the length of the memory mapping that begins at start,
// from /proc/self/maps, or 0 when there is none.
func mappingSize(start uintptr) uintptr {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0
	}
	defer f.Close()
	want := []byte(strconv.FormatUint(uint64(start), 16) + "-")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, want) {
			continue
		}
		rest := line[len(want):]
		if i := bytes.IndexByte(rest, ' '); i > 0 {
			end, err := strconv.ParseUint(string(rest[:i]), 16, 64)
			if err == nil && uintptr(end) > start {
				return uintptr(end) - start
			}
		}
		return 0
	}
	return 0
}
