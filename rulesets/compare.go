package rulesets

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// DefaultTolerance is the absolute tolerance for numbers when a testcase sets none.
const DefaultTolerance = 1e-9

// Actual is what an execution produced, as a testcase compares it.
type Actual struct {
	Output map[string]any // JSON-shaped (float64, string, bool, nil, []any, map[string]any)
	Alerts []string       // names of the raised alerts
	Err    error          // the execution's error, nil when it succeeded
	// Mails are the captured messages, Documents the documents saved (with their text).
	Mails     []ActualMail
	Documents []ActualDocument
}

// ActualMail is a captured message as a testcase compares it.
type ActualMail struct {
	To          []string // to, cc and bcc
	Subject     string
	Text        string // the text and HTML parts
	Attachments []string
}

// ActualDocument is a saved document as a testcase compares it.
type ActualDocument struct {
	Name, ContentType, Text string
}

// Mismatch is one expectation that did not hold.
type Mismatch struct {
	Path     string // output.InsuranceCosts, alerts, error
	Expected any
	Actual   any
	Message  string
}

func (m Mismatch) String() string {
	if m.Message != "" {
		return m.Path + ": " + m.Message
	}
	return fmt.Sprintf("%s: expected %s, got %s", m.Path, show(m.Expected), show(m.Actual))
}

func show(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(Plain(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return escapeInvisible(string(b))
}

// escapeInvisible writes spaces other than U+0020 and format characters (no-break spaces, bidi
// marks) as JSON escapes, so "€\u00a03,99" and "€ 3,99" do not look the same in a mismatch.
func escapeInvisible(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r != ' ' && (unicode.Is(unicode.Zs, r) || unicode.Is(unicode.Cf, r)) {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Compare checks an execution against a testcase's expectations. Only what the testcase wrote is
// compared: the listed output keys (every key with strict), the alert names when `alerts` is given,
// and the error when `error` is given. An unexpected error is always a mismatch.
func (tc *Testcase) Compare(a Actual) []Mismatch {
	var out []Mismatch
	e := tc.Expect
	tol := tc.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	switch {
	case a.Err != nil && e.HasError && e.Error != "":
		if !strings.Contains(a.Err.Error(), e.Error) {
			out = append(out, Mismatch{Path: "error", Message: fmt.Sprintf("expected an error containing %q, got %q", e.Error, a.Err.Error())})
		}
		// What a failed execution still sent (Mail.send) or must not have queued is checked too.
		return compareDocuments(compareMails(out, e, a), e, a)
	case a.Err != nil:
		return append(out, Mismatch{Path: "error", Message: "unexpected error: " + a.Err.Error()})
	case e.HasError && e.Error != "":
		out = append(out, Mismatch{Path: "error", Message: fmt.Sprintf("expected an error containing %q, got none", e.Error)})
	}
	if e.Output != nil {
		for _, k := range e.Output.Keys {
			want := e.Output.Values[k]
			got, ok := a.Output[k]
			if !ok {
				out = append(out, Mismatch{Path: "output." + k, Expected: want, Message: fmt.Sprintf("expected %s, but the output has no %s", show(want), k)})
				continue
			}
			out = compareValue(out, "output."+k, want, got, tol, e.Strict)
		}
		if e.Strict {
			var extra []string
			for k := range a.Output {
				if _, ok := e.Output.Values[k]; !ok {
					extra = append(extra, k)
				}
			}
			sort.Strings(extra)
			for _, k := range extra {
				out = append(out, Mismatch{Path: "output." + k, Actual: a.Output[k], Message: fmt.Sprintf("not expected (strict), got %s", show(a.Output[k]))})
			}
		}
	}
	out = compareMails(out, e, a)
	out = compareDocuments(out, e, a)
	if e.HasAlerts {
		want := append([]string(nil), e.Alerts...)
		got := append([]string(nil), a.Alerts...)
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(want, "\x00") != strings.Join(got, "\x00") {
			out = append(out, Mismatch{Path: "alerts", Expected: toAny(want), Actual: toAny(got)})
		}
	}
	return out
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// compareValue compares an expected (as written) with an actual value. Objects compare by the
// expected keys unless strict; numbers within tol.
func compareValue(out []Mismatch, path string, want, got any, tol float64, strict bool) []Mismatch {
	switch w := want.(type) {
	case nil:
		if got != nil {
			return append(out, Mismatch{Path: path, Expected: nil, Actual: got})
		}
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(w-g) > tol || math.IsNaN(g) {
			return append(out, Mismatch{Path: path, Expected: want, Actual: got})
		}
	case *Object:
		g, ok := got.(map[string]any)
		if !ok {
			return append(out, Mismatch{Path: path, Expected: want, Actual: got})
		}
		for _, k := range w.Keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, Mismatch{Path: path + "." + k, Expected: w.Values[k], Message: fmt.Sprintf("expected %s, but there is no %s", show(w.Values[k]), k)})
				continue
			}
			out = compareValue(out, path+"."+k, w.Values[k], gv, tol, strict)
		}
		if strict && len(g) != len(w.Keys) {
			for k, v := range g {
				if _, ok := w.Values[k]; !ok {
					out = append(out, Mismatch{Path: path + "." + k, Actual: v, Message: fmt.Sprintf("not expected (strict), got %s", show(v))})
				}
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return append(out, Mismatch{Path: path, Expected: want, Actual: got})
		}
		for i := range w {
			out = compareValue(out, path+"["+strconv.Itoa(i)+"]", w[i], g[i], tol, strict)
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) || fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
			return append(out, Mismatch{Path: path, Expected: want, Actual: got})
		}
	}
	return out
}

// compareMails checks the captured messages against expect.mails, in order.
func compareMails(out []Mismatch, e Expect, a Actual) []Mismatch {
	if !e.HasMails {
		return out
	}
	if len(a.Mails) != len(e.Mails) {
		subjects := make([]any, len(a.Mails))
		for i, m := range a.Mails {
			subjects[i] = m.Subject
		}
		return append(out, Mismatch{Path: "mails", Message: fmt.Sprintf("expected %d messages, got %d", len(e.Mails), len(a.Mails)), Actual: subjects})
	}
	for i, w := range e.Mails {
		got, path := a.Mails[i], fmt.Sprintf("mails[%d]", i)
		if w.To != "" && !slices.ContainsFunc(got.To, func(to string) bool { return strings.EqualFold(to, w.To) }) {
			out = append(out, Mismatch{Path: path + ".to", Expected: w.To, Actual: toAny(got.To)})
		}
		if w.Subject != "" && got.Subject != w.Subject {
			out = append(out, Mismatch{Path: path + ".subject", Expected: w.Subject, Actual: got.Subject})
		}
		if w.Contains != "" && !strings.Contains(got.Text, w.Contains) {
			out = append(out, Mismatch{Path: path + ".contains", Message: fmt.Sprintf("the message does not contain %q", w.Contains)})
		}
		for _, att := range w.Attachments {
			if !slices.Contains(got.Attachments, att) {
				out = append(out, Mismatch{Path: path + ".attachments", Expected: att, Actual: toAny(got.Attachments)})
			}
		}
	}
	return out
}

// compareDocuments finds each expected document among those saved: by name when it gives one.
func compareDocuments(out []Mismatch, e Expect, a Actual) []Mismatch {
	for i, w := range e.Documents {
		path := fmt.Sprintf("documents[%d]", i)
		idx := slices.IndexFunc(a.Documents, func(d ActualDocument) bool {
			return (w.Name == "" || d.Name == w.Name) && (w.ContentType == "" || d.ContentType == w.ContentType)
		})
		if idx < 0 {
			names := make([]any, len(a.Documents))
			for j, d := range a.Documents {
				names[j] = d.Name + " (" + d.ContentType + ")"
			}
			out = append(out, Mismatch{Path: path, Message: fmt.Sprintf("no document named %q of type %q was saved", w.Name, w.ContentType), Actual: names})
			continue
		}
		if w.Contains != "" && !strings.Contains(a.Documents[idx].Text, w.Contains) {
			out = append(out, Mismatch{Path: path + ".contains", Message: fmt.Sprintf("%s does not contain %q", a.Documents[idx].Name, w.Contains)})
		}
	}
	return out
}
