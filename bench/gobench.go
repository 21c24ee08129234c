package bench

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// GoBench holds `go test -bench` results: per benchmark (without the -N
// GOMAXPROCS suffix and package), per unit, one value per run.
type GoBench map[string]map[string][]float64

// ParseGoBench reads the output of `go test -bench ... -count N`.
func ParseGoBench(r io.Reader) (GoBench, error) {
	out := GoBench{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := fields[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		// fields[1] is the iteration count; value/unit pairs follow.
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				break
			}
			if out[name] == nil {
				out[name] = map[string][]float64{}
			}
			out[name][fields[i+1]] = append(out[name][fields[i+1]], v)
		}
	}
	return out, sc.Err()
}

// Micros summarises a benchmark's ns/unit metric in microseconds.
func (g GoBench) Micros(name, unit string) (Summary, bool) {
	ns := g[name][unit]
	if len(ns) == 0 {
		return Summary{}, false
	}
	us := make([]float64, len(ns))
	for i, v := range ns {
		us[i] = v / 1000
	}
	return Summarize(us), true
}
