// Command table reads `go test -bench -benchmem` output (several -count runs) on standard input and
// prints a markdown table of the means, with each engine's time as a multiple of raw goja's on
// the same decision. Benchmarks are expected to be named Benchmark<Decision>/engine=<name>.
//
//	go test -run '^$' -bench . -benchmem -count 5 | go run ./cmd/table
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// baseline is the engine the others are compared with.
const baseline = "goja"

// series is every run of one benchmark.
type series struct {
	decision, engine  string
	ns, bytes, allocs []float64
}

func main() {
	rows, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
	if len(rows) == 0 {
		fmt.Fprintln(os.Stderr, "table: no benchmark results on standard input")
		os.Exit(1)
	}
	write(os.Stdout, rows)
}

// parse collects the result lines, keeping the order in which benchmarks first appear.
func parse(r io.Reader) ([]*series, error) {
	var order []*series
	byName := map[string]*series{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// BenchmarkX/engine=y[-cpu]  N  v ns/op  [v B/op  v allocs/op  v unit...]
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || f[3] != "ns/op" {
			continue
		}
		name := f[0]
		s := byName[name]
		if s == nil {
			s = &series{}
			s.decision, s.engine = split(name)
			byName[name] = s
			order = append(order, s)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", sc.Text(), err)
			}
			switch f[i+1] {
			case "ns/op":
				s.ns = append(s.ns, v)
			case "B/op":
				s.bytes = append(s.bytes, v)
			case "allocs/op":
				s.allocs = append(s.allocs, v)
			}
		}
	}
	return order, sc.Err()
}

// split turns BenchmarkDiscount/engine=goja-2 into ("Discount", "goja"), keeping a -cpu suffix
// other than none on the decision so that runs at different GOMAXPROCS are not mixed.
func split(name string) (decision, engine string) {
	name = strings.TrimPrefix(name, "Benchmark")
	cpu := ""
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name, cpu = name[:i], name[i:]
		}
	}
	decision, engine, ok := strings.Cut(name, "/engine=")
	if !ok {
		return name + cpu, ""
	}
	return decision + cpu, engine
}

func write(w io.Writer, rows []*series) {
	base := map[string]float64{}
	for _, s := range rows {
		if s.engine == baseline {
			base[s.decision] = mean(s.ns)
		}
	}
	fmt.Fprintf(w, "| decision | engine | time/op | ± | vs %s | B/op | allocs/op | runs |\n", baseline)
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, s := range rows {
		ratio := "–"
		if b, ok := base[s.decision]; ok && b > 0 {
			ratio = fmt.Sprintf("%.2f×", mean(s.ns)/b)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %d |\n", s.decision, s.engine,
			duration(mean(s.ns)), spread(s.ns), ratio, num(s.bytes), num(s.allocs), len(s.ns))
	}
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

// spread is the sample standard deviation as a percentage of the mean: how noisy the runs were.
func spread(v []float64) string {
	if len(v) < 2 {
		return "–"
	}
	m, ss := mean(v), 0.0
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return fmt.Sprintf("%.0f %%", 100*math.Sqrt(ss/float64(len(v)-1))/m)
}

// duration writes nanoseconds in the unit that keeps three significant digits readable.
func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func num(v []float64) string {
	if len(v) == 0 {
		return "–"
	}
	return strconv.FormatFloat(math.Round(mean(v)), 'f', -1, 64)
}
