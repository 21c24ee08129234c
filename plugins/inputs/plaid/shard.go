package plaid

import (
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidini"
)

// shard is this instance's share of accounts_file's items: with shard =
// "I/N", items whose name hashes to I modulo N. The hash of the name alone
// decides, so every instance agrees without talking to the others, and an
// item linked later lands on exactly one of them.
type shard struct {
	index, count int
}

// parseShard reads "I/N" (0 <= I < N); "" is the whole file.
func parseShard(s string) (shard, error) {
	if s == "" {
		return shard{0, 1}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	i, errI := strconv.Atoi(strings.TrimSpace(is))
	n, errN := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || errI != nil || errN != nil || n < 1 || i < 0 || i >= n {
		return shard{}, fmt.Errorf(`shard: %q is not "I/N" with 0 <= I < N (e.g. "0/3", "1/3", "2/3")`, s)
	}
	return shard{i, n}, nil
}

// owns reports whether the item of this name is synced by this instance.
func (s shard) owns(name string) bool {
	if s.count <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	return int(h.Sum64()%uint64(s.count)) == s.index
}

// ShardOf is the shard, 0 to n-1, that syncs the item of this name when
// items are split across n instances.
func ShardOf(name string, n int) int {
	for i := range n {
		if (shard{i, n}).owns(name) {
			return i
		}
	}
	return 0
}

// ShardPlan writes, for each item of accounts_file, which of the shard's N
// instances syncs it, marking this instance's items; it reads only the file
// (no state, no Plaid), so it runs beside the instances themselves.
func (p *Plaid) ShardPlan(w io.Writer) error {
	sh, err := parseShard(p.Shard)
	if err != nil {
		return err
	}
	f, err := plaidini.Load(p.AccountsFile)
	if err != nil {
		return fmt.Errorf("accounts_file: %w", err)
	}
	settings, err := f.Settings()
	if err != nil {
		return fmt.Errorf("accounts_file: %w", err)
	}
	per := make([]int, sh.count)
	fmt.Fprintf(w, "# %d items of %s across %d instances; this one is shard = \"%d/%d\"\n", len(settings.Items), p.AccountsFile, sh.count, sh.index, sh.count)
	for _, it := range settings.Items {
		owner := ShardOf(it.Name, sh.count)
		per[owner]++
		mark := ""
		if owner == sh.index {
			mark = "\t(this instance)"
		}
		if it.Disabled {
			mark += "\t(disabled)"
		}
		fmt.Fprintf(w, "%d/%d\t%s%s\n", owner, sh.count, it.Name, mark)
	}
	for i, n := range per {
		fmt.Fprintf(w, "# shard %d/%d: %d items\n", i, sh.count, n)
	}
	return nil
}
