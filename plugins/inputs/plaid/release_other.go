//go:build !linux

package plaid

func (s *store) releaseMapping() {}
