//go:build !linux

package ledger

import bolt "go.etcd.io/bbolt"

func (l *Ledger) releaseMemory() {}

func releaseMapping(*bolt.Tx) {}
