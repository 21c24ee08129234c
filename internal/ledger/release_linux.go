package ledger

import (
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
	_ = l.db.View(func(tx *bolt.Tx) error {
		releaseMapping(tx)
		return nil
	})
}

// releaseMapping drops the mapped pages of tx's database. The pages in use
// end at tx.Size(), within the mapping (bbolt maps more than it uses), so no
// other memory is touched.
func releaseMapping(tx *bolt.Tx) {
	start := tx.DB().Info().Data
	size := uintptr(tx.Size())
	if start == 0 || size == 0 {
		return
	}
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, start, size, unix.MADV_DONTNEED)
}
