package plaidemu

import (
	"maps"
	"sync"
)

// Stats counts Plaid API calls since start or the last ResetStats.
type Stats struct {
	Calls       map[string]int            `json:"calls"`         // per endpoint path, all items
	Bytes       map[string]int64          `json:"bytes"`         // response body bytes per endpoint
	ByItem      map[string]map[string]int `json:"calls_by_item"` // item name -> endpoint -> calls
	BytesByItem map[string]int64          `json:"bytes_by_item"` // item name -> response bytes
	Connections int                       `json:"connections"`   // TCP connections accepted
}

type statsStore struct {
	mu sync.Mutex
	s  Stats
}

func (st *statsStore) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s = Stats{Calls: map[string]int{}, Bytes: map[string]int64{}, ByItem: map[string]map[string]int{}, BytesByItem: map[string]int64{}}
}

func (st *statsStore) count(endpoint, itemName string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Calls[endpoint]++
	if itemName != "" {
		m := st.s.ByItem[itemName]
		if m == nil {
			m = map[string]int{}
			st.s.ByItem[itemName] = m
		}
		m[endpoint]++
	}
}

func (st *statsStore) addBytes(endpoint, itemName string, n int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Bytes[endpoint] += int64(n)
	if itemName != "" {
		st.s.BytesByItem[itemName] += int64(n)
	}
}

func (st *statsStore) snapshot() Stats {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := Stats{Calls: maps.Clone(st.s.Calls), Bytes: maps.Clone(st.s.Bytes),
		ByItem: make(map[string]map[string]int, len(st.s.ByItem)), BytesByItem: maps.Clone(st.s.BytesByItem)}
	for k, v := range st.s.ByItem {
		out.ByItem[k] = maps.Clone(v)
	}
	return out
}

// Stats returns the call counters.
func (e *Emulator) Stats() Stats {
	s := e.stats.snapshot()
	s.Connections = int(e.conns.opened.Load())
	return s
}

// ResetStats zeroes the call and connection counters.
func (e *Emulator) ResetStats() {
	e.stats.reset()
	e.conns.opened.Store(0)
}
