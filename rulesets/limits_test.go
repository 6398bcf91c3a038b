package rulesets

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestLoadLimits loads rulesets that go past each load limit: each must fail fast, with a problem
// that names the file, the line and the limit.
func TestLoadLimits(t *testing.T) {
	rows := func(n int) string {
		var b strings.Builder
		b.WriteString("key,value\n")
		for i := range n {
			fmt.Fprintf(&b, "k%d,%d\n", i, i)
		}
		return b.String()
	}
	const head = "name: x\n"
	tests := []struct {
		name  string
		files map[string]string
		big   map[string]int64 // sparse files of these sizes: refused by size, never read
		opts  LoadOptions
		json  bool // load ruleset.yaml as the JSON form
		want  string
	}{
		{
			name: "ruleset.yaml larger than a file may be",
			big:  map[string]int64{"ruleset.yaml": 100 << 30},
			want: "ruleset.yaml:1: ruleset.yaml is larger than the limit of 8388608 bytes for one file (LoadOptions.MaxFileBytes)",
		},
		{
			name:  "a rule file larger than a file may be",
			files: map[string]string{"ruleset.yaml": head + "rules:\n  R: {file: rules/r.js}\n"},
			big:   map[string]int64{"rules/r.js": 1 << 40},
			want:  "ruleset.yaml:3:13: rules.R.file: rules/r.js is larger than the limit of 8388608 bytes for one file (LoadOptions.MaxFileBytes)",
		},
		{
			name:  "a smaller file limit",
			files: map[string]string{"ruleset.yaml": head + "description: " + strings.Repeat("x", 2000) + "\n"},
			opts:  LoadOptions{MaxFileBytes: 1000},
			want:  "ruleset.yaml:1: ruleset.yaml is larger than the limit of 1000 bytes for one file (LoadOptions.MaxFileBytes)",
		},
		{
			name: "the files add up to more than the total",
			files: map[string]string{
				"ruleset.yaml": head + "rules:\n  A: {file: rules/a.js}\n  B: {file: rules/b.js}\n",
				"rules/a.js":   strings.Repeat("1+", 400) + "1",
				"rules/b.js":   strings.Repeat("1+", 400) + "1",
			},
			opts: LoadOptions{MaxTotalBytes: 1200},
			want: "ruleset.yaml:4:13: rules.B.file: with rules/b.js the ruleset's files add up to more than the limit of 1200 bytes (LoadOptions.MaxTotalBytes)",
		},
		{
			name:  "a testcase file past the total",
			files: map[string]string{"ruleset.yaml": head, "tests/a.yaml": "- name: a\n" + strings.Repeat("# x\n", 400)},
			opts:  LoadOptions{MaxTotalBytes: 1000},
			want:  "tests/a.yaml:1: with tests/a.yaml the ruleset's files add up to more than the limit of 1000 bytes (LoadOptions.MaxTotalBytes)",
		},
		{
			name:  "a JSON document larger than a ruleset may be",
			files: map[string]string{"ruleset.yaml": `{"name": "x", "description": "` + strings.Repeat("x", 2000) + `"}`},
			opts:  LoadOptions{MaxTotalBytes: 1000},
			json:  true,
			want:  "x.json:1: x.json is larger than the limit of 1000 bytes (LoadOptions.MaxTotalBytes)",
		},
		{
			name:  "a long string scalar",
			files: map[string]string{"ruleset.yaml": head + "description: " + strings.Repeat("x", 1<<20+1) + "\n"},
			want:  "ruleset.yaml:2:14: a text of 1048577 bytes is longer than the limit of 1048576 bytes (LoadOptions.MaxStringBytes)",
		},
		{
			name:  "a long string scalar in the JSON form",
			files: map[string]string{"ruleset.yaml": `{"name": "x",` + "\n" + `"description": "` + strings.Repeat("x", 200) + `"}`},
			opts:  LoadOptions{MaxStringBytes: 100},
			json:  true,
			want:  "x.json:2:16: a text of 200 bytes is longer than the limit of 100 bytes (LoadOptions.MaxStringBytes)",
		},
		{
			name:  "a long piece of code in a file",
			files: map[string]string{"ruleset.yaml": head + "rules:\n  R: {file: rules/r.js}\n", "rules/r.js": strings.Repeat("1 +\n", 300) + "1"},
			opts:  LoadOptions{MaxCodeBytes: 1000},
			want:  "rules/r.js:1:1: rules.R.file: the code is 1201 bytes, longer than the limit of 1000 bytes (LoadOptions.MaxCodeBytes)",
		},
		{
			name:  "deeply nested code",
			files: map[string]string{"ruleset.yaml": head + "rules:\n  R: {file: rules/r.js}\n", "rules/r.js": "const a = 1\nreturn " + strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000)},
			want:  "rules/r.js:2:1008: rules.R.file: the code nests more than 1000 levels deep",
		},
		{
			name:  "a smaller nesting limit",
			files: map[string]string{"ruleset.yaml": head + "rules:\n  R: ((((1))))\n"},
			opts:  LoadOptions{MaxCodeNesting: 3},
			want:  "ruleset.yaml:3:9: rules.R: the code nests more than 3 levels deep (brackets, operators and statements within one expression; limit LoadOptions.MaxCodeNesting)",
		},
		{
			name:  "too many names",
			files: map[string]string{"ruleset.yaml": head + "inputs: {A: number, B: number}\nrules:\n  C: A\n  D: B\n  E: 1\n"},
			opts:  LoadOptions{MaxDeclarations: 4},
			want:  "ruleset.yaml:6:3: rules.E: the ruleset declares more than 4 names (inputs, entities, constants, tables, functions and rules; LoadOptions.MaxDeclarations)",
		},
		{
			name:  "too many pieces of code",
			files: map[string]string{"ruleset.yaml": head + "rules:\n  C: 1\n  D: 2\nalerts:\n  W: {level: info, when: C > 1, message: hi}\n"},
			opts:  LoadOptions{MaxCodeSnippets: 3},
			want:  "ruleset.yaml:6:42: alerts.W.message: the ruleset has more than 3 pieces of code (LoadOptions.MaxCodeSnippets)",
		},
		{
			name:  "a CSV table with too many rows stops at the limit",
			files: map[string]string{"ruleset.yaml": head + "tables:\n  T: {file: tables/t.csv}\n", "tables/t.csv": rows(300_000)},
			want:  "tables/t.csv:100002:1: tables.T.file: table T has more than 100000 rows (LoadOptions.MaxTableRows)",
		},
		{
			name:  "a CSV table with too many cells",
			files: map[string]string{"ruleset.yaml": head + "tables:\n  T: {file: tables/t.csv}\n", "tables/t.csv": "k,a,b,c\nx,1,2,3\ny,1,2,3\nz,1,2,3\n"},
			opts:  LoadOptions{MaxTableCells: 8},
			want:  "tables/t.csv:4:1: tables.T.file: with table T the tables have more than 8 cells (LoadOptions.MaxTableCells)",
		},
		{
			name: "the cells of all tables count together",
			files: map[string]string{
				"ruleset.yaml": head + "tables:\n  T: {file: tables/t.csv}\n  U:\n    columns: [a, b]\n    rows:\n      x: [1, 2]\n      y: [1, 2]\n",
				"tables/t.csv": "k,a,b,c\nx,1,2,3\ny,1,2,3\n",
			},
			opts: LoadOptions{MaxTableCells: 9},
			want: "ruleset.yaml:8:7: tables.U.rows.y: with table U the tables have more than 9 cells (LoadOptions.MaxTableCells)",
		},
		{
			name:  "a CSV header with too many columns",
			files: map[string]string{"ruleset.yaml": head + "tables:\n  T: {file: tables/t.csv}\n", "tables/t.csv": "k" + strings.Repeat(",c", 20) + "\n"},
			opts:  LoadOptions{MaxTableCells: 8},
			want:  "tables/t.csv:1:1: tables.T.file: with table T the tables have more than 8 cells (LoadOptions.MaxTableCells)",
		},
		{
			name:  "an inline table with too many rows",
			files: map[string]string{"ruleset.yaml": head + "tables:\n  T:\n    columns: [v]\n    rows:\n      a: [1]\n      b: [2]\n      c: [3]\n"},
			opts:  LoadOptions{MaxTableRows: 2},
			want:  "ruleset.yaml:8:7: tables.T.rows: table T has more than 2 rows (LoadOptions.MaxTableRows)",
		},
		{
			name:  "an inline table with too many cells through an alias",
			files: map[string]string{"ruleset.yaml": head + "constants:\n  C: &r [1, 2, 3, 4, 5, 6]\ntables:\n  T:\n    columns: [a, b, c, d, e, f]\n    rows:\n      a: *r\n      b: *r\n"},
			opts:  LoadOptions{MaxTableCells: 10},
			want:  "ruleset.yaml:9:7: tables.T.rows.b: with table T the tables have more than 10 cells (LoadOptions.MaxTableCells)",
		},
		{
			name:  "a YAML document with too many values is refused before it is parsed",
			files: map[string]string{"ruleset.yaml": head + "constants:\n  A: [" + strings.Repeat("1,", 1_100_000) + "1]\n"},
			want:  "ruleset.yaml:3:1999996: ruleset.yaml has more than 1000000 values (LoadOptions.MaxYAMLValues)",
		},
		{
			name:  "a testcase file with too many values",
			files: map[string]string{"ruleset.yaml": head, "tests/a.yaml": "- name: a\n  input: {A: 1, B: 2, C: 3}\n"},
			opts:  LoadOptions{MaxYAMLValues: 5},
			want:  "tests/a.yaml:2:12: tests/a.yaml has more than 5 values (LoadOptions.MaxYAMLValues)",
		},
		{
			name: "billion laughs",
			files: map[string]string{"ruleset.yaml": head + "constants:\n  a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + func() string {
				var b strings.Builder
				for i, prev := range "abcdefgh" {
					name := string(rune('b' + i))
					fmt.Fprintf(&b, "  %s: &%s [%s]\n", name, name, strings.TrimSuffix(strings.Repeat("*"+string(prev)+",", 9), ","))
				}
				return b.String()
			}()},
			want: "ruleset.yaml:3:42: constants.e[0][3][7][3][8]: aliases make the document expand to more than 11444 values (the limit is 4 values per byte of the document, at least 10000)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			for name, size := range tt.big {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if f, err := os.Create(p); err != nil {
					t.Fatal(err)
				} else if err := f.Truncate(size); err != nil {
					t.Skipf("no sparse files here: %v", err)
				} else {
					f.Close()
				}
			}
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			var err error
			if tt.json {
				data, rerr := os.ReadFile(filepath.Join(dir, RulesetFile))
				if rerr != nil {
					t.Fatal(rerr)
				}
				_, err = LoadJSON(data, "x.json", &tt.opts)
			} else {
				_, err = LoadDir(dir, &tt.opts)
			}
			took := time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			got := strings.Join(problemsOf(t, err), "\n")
			if !strings.Contains(got, tt.want) {
				t.Fatalf("want a problem containing\n  %s\ngot\n  %s", tt.want, got)
			}
			if took > raceSlowdown*3*time.Second {
				t.Errorf("took %v: the limit must stop the load early", took)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > raceSlowdown*512<<20 {
				t.Errorf("allocated %d MB", alloc>>20)
			}
		})
	}
}

// TestLoadJSONFileLimit refuses a .json export larger than a ruleset may be by its size, unread.
func TestLoadJSONFileLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	f.Close()
	_, err = Load(p, nil)
	want := "big.json: big.json is larger than the limit of 16777216 bytes (LoadOptions.MaxTotalBytes)"
	if got := strings.Join(problemsOf(t, err), "\n"); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestLoadLimitsAtTheLimit checks that a ruleset just at the limits still loads.
func TestLoadLimitsAtTheLimit(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("key,v\n")
	for i := range DefaultMaxTableRows {
		fmt.Fprintf(&csv, "k%d,%d\n", i, i)
	}
	dir := writeFiles(t, map[string]string{
		"ruleset.yaml": "name: x\ndescription: " + strings.Repeat("x", DefaultMaxStringBytes) + "\ntables:\n  T: {file: tables/t.csv}\nrules:\n  R: " + strings.Repeat("(", 999) + "1" + strings.Repeat(")", 999) + "\n",
		"tables/t.csv": csv.String(),
	})
	rs, err := LoadDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rs.Tables[0].Rows); n != DefaultMaxTableRows {
		t.Fatalf("%d rows", n)
	}
}

// TestLoadLimitsJSONRoundTrip checks that a ruleset at the table limit still loads from its JSON form,
// which carries its tables.
func TestLoadLimitsJSONRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("parses a JSON document of a million values")
	}
	var csv strings.Builder
	csv.WriteString("key,a,b,c,d,e,f,g,h,i,j\n")
	for i := range DefaultMaxTableCells / 10 {
		fmt.Fprintf(&csv, "k%d,1,2,3,4,5,6,7,8,9,%d\n", i, i)
	}
	rs, err := LoadDir(writeFiles(t, map[string]string{
		"ruleset.yaml": "name: x\ntables:\n  T: {file: tables/t.csv}\n",
		"tables/t.csv": csv.String(),
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := ExportJSON(rs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadJSON(data, "x.json", nil)
	if err != nil {
		t.Fatal(strings.Join(problemsOf(t, err)[:1], "\n"))
	}
	if n := len(back.Tables[0].Rows); n != DefaultMaxTableCells/10 {
		t.Fatalf("%d rows", n)
	}
}
