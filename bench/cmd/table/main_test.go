package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/kubusdev/kubus/bench
cpu: AMD EPYC
BenchmarkDiscount/engine=goja         	 1832715	       600 ns/op	     298 B/op	       5 allocs/op
BenchmarkDiscount/engine=goja         	 1832715	       700 ns/op	     298 B/op	       5 allocs/op
BenchmarkDiscount/engine=kubus        	  399331	      3000 ns/op	    1196 B/op	      12 allocs/op
BenchmarkDiscount/engine=kubus        	  399331	      3500 ns/op	    1198 B/op	      13 allocs/op
BenchmarkTravelInsurance/engine=goja-2  	   31677	     40000 ns/op	    9952 B/op	     264 allocs/op
BenchmarkTravelInsurance/engine=kubus-2 	   32077	     20000 ns/op	    5080 B/op	     133 allocs/op	 50000 execs/s
PASS
ok  	github.com/kubusdev/kubus/bench	8.585s
`

func TestTable(t *testing.T) {
	rows, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	write(&out, rows)
	got := out.String()
	for _, want := range []string{
		"| Discount | goja | 650 ns | 11 % | 1.00× | 298 | 5 | 2 |",
		"| Discount | kubus | 3.25 µs | 11 % | 5.00× | 1197 | 13 | 2 |",
		"| TravelInsurance-2 | goja | 40.00 µs | – | 1.00× | 9952 | 264 | 1 |",
		"| TravelInsurance-2 | kubus | 20.00 µs | – | 0.50× | 5080 | 133 | 1 |",
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
}

func TestSplit(t *testing.T) {
	for name, want := range map[string][2]string{
		"BenchmarkDiscount/engine=goja":  {"Discount", "goja"},
		"BenchmarkDiscount/engine=cel-8": {"Discount-8", "cel"},
		"BenchmarkOther-2":               {"Other-2", ""},
		"BenchmarkX/engine=a-b":          {"X", "a-b"},
	} {
		if d, e := split(name); d != want[0] || e != want[1] {
			t.Errorf("split(%q) = %q, %q; want %q", name, d, e, want)
		}
	}
}
