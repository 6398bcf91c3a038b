package rulesets

import (
	"testing"
	"time"
)

func TestNameChecks(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"Age", true}, {"_x", true}, {"$y", true}, {"ExtraCostPerDay18_30", true}, {"Größe", true}, {"日本", true},
		{"", false}, {"1abc", false}, {"my-input", false}, {"a b", false}, {"a.b", false},
		{"class", false}, {"let", false}, {"await", false}, {"arguments", false},
		{"Math", false}, {"undefined", false}, {"JSON", false}, {"parseInt", false}, {"globalThis", false},
		{"__proto", false}, {"ROUND", false},
	} {
		msg, _ := checkBindingName(tt.name, map[string]bool{"ROUND": true})
		if (msg == "") != tt.ok {
			t.Errorf("checkBindingName(%q) = %q, want ok=%v", tt.name, msg, tt.ok)
		}
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"expression", "type", "output", "NumberOfDays", "InsuranceCosts"}
	for in, want := range map[string]string{
		"expresion": "expression", "Expression": "expression", "tpye": "type", "outptu": "output",
		"NumberOfDay": "NumberOfDays", "insurancecosts": "InsuranceCosts", "colour": "", "x": "", "typ": "type",
	} {
		if got := suggest(in, cands); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsSemver(t *testing.T) {
	for v, want := range map[string]bool{
		"1.0.0": true, "0.0.0": true, "10.20.30": true, "1.0.0-beta.1": true, "1.0.0+build": true,
		"1.0": false, "1": false, "v1.0.0": false, "1.0.0.0": false, "01.0.0": false, "": false, "x.y.z": false,
	} {
		if got := isSemver(v); got != want {
			t.Errorf("isSemver(%q) = %v", v, got)
		}
	}
}

func TestCheckPath(t *testing.T) {
	for p, ok := range map[string]bool{
		"rules/max-loan.js": true, "x.js": true, "rules/sub/a.js": true,
		"": false, "../x.js": false, "rules/../../x.js": false, "/etc/x.js": false, "./x.js": false,
		`rules\x.js`: false, "rules/x.ts": false, ".js": false, "rules//x.js": false,
	} {
		if msg, _ := checkPath(p, ".js"); (msg == "") != ok {
			t.Errorf("checkPath(%q) = %q, want ok=%v", p, msg, ok)
		}
	}
}

func TestCSVValue(t *testing.T) {
	for in, want := range map[string]any{
		"": nil, " ": nil, "12": 12.0, "-1.5": -1.5, "1e3": 1000.0, ".5": 0.5, "true": true, "false": false,
		"True": "True", "NaN": "NaN", "Inf": "Inf", "0x10": "0x10", "1_000": "1_000", "abc": "abc", " padded ": "padded",
	} {
		if got := csvValue(in); got != want {
			t.Errorf("csvValue(%q) = %#v, want %#v", in, got, want)
		}
	}
}

func TestParseNow(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	for in, want := range map[string]time.Time{
		"2023-07-20T09:00:00Z":      time.Date(2023, 7, 20, 9, 0, 0, 0, time.UTC),
		"2023-07-20T09:00:00+02:00": time.Date(2023, 7, 20, 7, 0, 0, 0, time.UTC),
		"2023-07-20":                time.Date(2023, 7, 20, 0, 0, 0, 0, ams),
	} {
		got, err := parseNow(in, ams)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseNow(%q) = %v, %v", in, got, err)
		}
		if s := formatNow(got, ams); s != in {
			t.Errorf("formatNow(parseNow(%q)) = %q", in, s)
		}
	}
	for _, bad := range []string{"yesterday", "2023-07-20 09:00", "20-07-2023", ""} {
		if _, err := parseNow(bad, time.UTC); err == nil {
			t.Errorf("parseNow(%q) accepted", bad)
		}
	}
}
