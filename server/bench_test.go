package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// BenchmarkServeTravelInsurance is the full server path on loopback TCP: JSON in, key checked, the
// engine, JSON out, the log line and the metrics. Run with -cpu 2 for the machine's two cores; the
// HTTP load figures (connections, p99) come from bench/cmd/load against `kubus serve`.
func BenchmarkServeTravelInsurance(b *testing.B) {
	ts := newTestServer(b, []string{"../examples/travel-insurance"}, map[string][]string{"bench": {"execute:*"}}, nil)
	in, _ := json.Marshal(map[string]any{"input": travelInput(b)})
	url := ts.http.URL + "/api/rulesets/travel-insurance/execute"
	client := ts.http.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", url, bytes.NewReader(in))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+ts.keys["bench"])
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}
