// Command load is the HTTP load benchmark: it POSTs one JSON body to a URL over keep-alive
// connections, at each of a list of connection counts for a fixed duration, and prints a table of
// requests per second, latency percentiles and errors.
//
//	go run ./cmd/load -url http://127.0.0.1:8080/api/rulesets/travel-insurance/execute \
//	    -key "$KUBUS_KEY" -body body.json -conns 1,8,32 -duration 10s
//
// Each connection is one goroutine sending its next request when the answer to the last one is
// read (a closed loop, as a pool of synchronous clients behaves), so the figures are the server's
// throughput at that concurrency, not at a chosen arrival rate. Any answer but 200 is an error.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// config is one benchmark's settings, as the flags give them.
type config struct {
	URL      string
	Key      string // sent as "Authorization: Bearer KEY"; none when empty
	Body     []byte
	Conns    []int
	Duration time.Duration
	Timeout  time.Duration // per request
}

// level is what one connection count measured.
type level struct {
	Conns    int
	Requests int // completed, answered or failed
	Errors   int // not 200, or no answer
	Elapsed  time.Duration
	P50, P99 time.Duration
	// FirstError is what the first error was, to say what went wrong.
	FirstError string
}

func (l level) RPS() float64 { return float64(l.Requests) / l.Elapsed.Seconds() }

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	if err := run(context.Background(), cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	url := fs.String("url", "", "the URL to POST to (required)")
	key := fs.String("key", "", "API key, sent as Authorization: Bearer KEY")
	bodyFile := fs.String("body", "", "file with the JSON body to POST (- for standard input)")
	data := fs.String("data", "", "the JSON body itself, instead of -body")
	conns := fs.String("conns", "1,8,32", "comma-separated connection counts, one run each")
	dur := fs.Duration("duration", 10*time.Second, "how long each run lasts")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of one request")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	cfg := config{URL: *url, Key: *key, Duration: *dur, Timeout: *timeout}
	if cfg.URL == "" {
		return cfg, errors.New("-url is required")
	}
	switch {
	case *bodyFile != "" && *data != "":
		return cfg, errors.New("give -body or -data, not both")
	case *bodyFile == "-":
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return cfg, err
		}
		cfg.Body = b
	case *bodyFile != "":
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return cfg, err
		}
		cfg.Body = b
	default:
		cfg.Body = []byte(*data)
	}
	for _, s := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("-conns: %q is not a positive number", s)
		}
		cfg.Conns = append(cfg.Conns, n)
	}
	if cfg.Duration <= 0 {
		return cfg, errors.New("-duration must be positive")
	}
	return cfg, nil
}

// run measures every connection count in turn and prints the table.
func run(ctx context.Context, cfg config, out io.Writer) error {
	var levels []level
	for _, n := range cfg.Conns {
		l, err := measure(ctx, cfg, n)
		if err != nil {
			return err
		}
		levels = append(levels, l)
	}
	printTable(out, cfg, levels)
	return nil
}

// measure runs n connections for cfg.Duration. A fresh client per level, limited to n connections
// and keeping n idle ones, so that every goroutine reuses its own connection and no level inherits
// the warm connections of the one before.
func measure(ctx context.Context, cfg config, n int) (level, error) {
	tr := &http.Transport{
		MaxConnsPerHost:     n,
		MaxIdleConns:        n,
		MaxIdleConnsPerHost: n,
		IdleConnTimeout:     time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.Timeout}

	type result struct {
		latencies []time.Duration
		errors    int
		first     string
	}
	results := make([]result, n)
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := &results[i]
			// Requests in flight at the deadline are completed, not cut off: cutting them would
			// count as errors what the server did right.
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				err := post(ctx, client, cfg)
				r.latencies = append(r.latencies, time.Since(t0))
				if err != nil {
					if r.errors == 0 {
						r.first = err.Error()
					}
					r.errors++
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return level{}, err
	}
	l := level{Conns: n, Elapsed: time.Since(start)}
	var all []time.Duration
	for _, r := range results {
		all = append(all, r.latencies...)
		l.Errors += r.errors
		if l.FirstError == "" {
			l.FirstError = r.first
		}
	}
	l.Requests = len(all)
	slices.Sort(all)
	l.P50, l.P99 = percentile(all, 50), percentile(all, 99)
	return l, nil
}

// post sends one request and reads the whole answer (which is what lets the connection be reused).
func post(ctx context.Context, client *http.Client, cfg config) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(cfg.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if cfg.Key != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.Key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		const max = 200
		if len(body) > max {
			body = body[:max]
		}
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	return nil
}

// percentile is the nearest-rank percentile of sorted durations (0 when there are none).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 · n), 1-based
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// printTable writes the levels as a markdown table, then the first error of each level with any.
func printTable(w io.Writer, cfg config, levels []level) {
	fmt.Fprintf(w, "POST %s, %d bytes, %s per level\n\n", cfg.URL, len(cfg.Body), cfg.Duration)
	fmt.Fprintln(w, "| connections | requests/s | p50 | p99 | errors |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|")
	for _, l := range levels {
		fmt.Fprintf(w, "| %d | %.0f | %s | %s | %d |\n", l.Conns, l.RPS(), ms(l.P50), ms(l.P99), l.Errors)
	}
	for _, l := range levels {
		if l.Errors > 0 {
			fmt.Fprintf(w, "\n%d connections: %d of %d requests failed; the first: %s\n", l.Conns, l.Errors, l.Requests, l.FirstError)
		}
	}
}

// ms writes a latency in milliseconds with three decimals: microseconds matter here.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }
