//go:build !linux

package ledger

func (l *Ledger) releaseMemory() {}
