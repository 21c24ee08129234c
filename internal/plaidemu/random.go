package plaidemu

import (
	"math"
	"math/rand/v2"
)

// Every random choice comes from a generator seeded by a hash of the
// configured seed and a fixed label (item, day, purpose), so results depend
// only on what was asked, never on timing or on the order of unrelated calls.

// Labels that keep independent random streams apart.
const (
	streamItem uint64 = iota + 1
	streamDay
	streamIDs
	streamTokens
	streamFaults
	streamRequestIDs
	streamSchedule
	streamInvestments
)

// splitmix64 is a well-mixed 64-bit hash step.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func hashValues(vals ...uint64) uint64 {
	h := uint64(0x6a09e667f3bcc909)
	for _, v := range vals {
		h = splitmix64(h ^ v)
	}
	return h
}

// newRand returns a generator determined by vals.
func newRand(vals ...uint64) *rand.Rand {
	a := hashValues(vals...)
	return rand.New(rand.NewPCG(a, splitmix64(a^0xd1b54a32d192ed03)))
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// plaidID returns an id shaped like Plaid's item, account and transaction ids
// (37 base62 characters).
func plaidID(r *rand.Rand) string {
	var b [37]byte
	for i := range b {
		b[i] = base62[r.IntN(62)]
	}
	return string(b[:])
}

// shortID returns n base62 characters (request ids, hosted link ids).
func shortID(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = base62[r.IntN(62)]
	}
	return string(b)
}

// uuid4 returns a version 4 UUID string as Plaid uses in its tokens.
func uuid4(r *rand.Rand) string {
	const hex = "0123456789abcdef"
	var u [16]byte
	a, b := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(b >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0x0f])
	}
	return string(out)
}

// poisson draws from a Poisson distribution; large means use the normal
// approximation, which is plenty for "how many purchases today".
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		n := int(math.Round(lambda + math.Sqrt(lambda)*r.NormFloat64()))
		return max(n, 0)
	}
	limit := math.Exp(-lambda)
	n, p := 0, r.Float64()
	for p > limit {
		n++
		p *= r.Float64()
	}
	return n
}

// between returns a uniform value in [lo, hi].
func between(r *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo+1)
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }
