package date

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/rulesets/culture"
)

// The names in dates come from Unicode CLDR through package culture, for every culture it knows.
// Month names take the form CLDR uses inside a date ("5 maart", Russian "5 марта") when the
// pattern has a day of the month (d or dd), the stand-alone form otherwise ("март"); a weekday
// takes the stand-alone form only when it is the pattern's only date field.

// namesFor is the culture's names; without a culture, CLDR's English.
func namesFor(tag string) (*culture.Names, error) {
	if tag == "" {
		tag = "en"
	}
	c, err := culture.Resolve(tag)
	if err != nil {
		return nil, err
	}
	n := c.Names()
	return &n, nil
}

// tokenLengths lists, per pattern letter, the run lengths that are tokens.
var tokenLengths = map[byte][]int{
	'y': {2, 4},
	'M': {1, 2, 3, 4},
	'd': {1, 2, 3, 4},
	'H': {1, 2},
	'h': {1, 2},
	'm': {1, 2},
	's': {1, 2},
	'f': {1, 2, 3},
	't': {2},
}

const tokenList = "yyyy yy M MM MMM MMMM d dd ddd dddd H HH h hh m mm s ss f ff fff tt"

func format(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	t := this(h, call, fn)
	pattern := h.String(call, 0, fn, "pattern")
	var tag string
	if e := h.Exec(); e != nil {
		tag = e.Culture
	}
	tag = h.OptString(call, 1, fn, "culture", tag)
	n, cerr := namesFor(tag)
	if cerr != nil {
		h.RangeError(fn, "%v", cerr)
	}
	s, err := formatTime(t, pattern, n)
	if err != "" {
		h.RangeError(fn, "%s", err)
	}
	return h.VM.ToValue(s)
}

// token is a piece of a pattern: literal text, or a field letter c repeated run times.
type token struct {
	lit string
	c   byte
	run int
}

// tokenize splits a pattern into tokens. It returns an error message when the pattern is wrong.
func tokenize(pattern string, toks []token) ([]token, string) {
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			if i+1 < len(pattern) && pattern[i+1] == '\'' { // '' is a quote
				lit.WriteByte('\'')
				i += 2
				continue
			}
			j := i + 1
			for {
				k := strings.IndexByte(pattern[j:], '\'')
				if k < 0 {
					return nil, fmt.Sprintf("unclosed quote at position %d in pattern", i)
				}
				lit.WriteString(pattern[j : j+k])
				j += k + 1
				if j < len(pattern) && pattern[j] == '\'' { // '' inside quotes
					lit.WriteByte('\'')
					j++
					continue
				}
				break
			}
			i = j
		case c == '\\':
			if i+1 >= len(pattern) {
				return nil, "the pattern ends with a lone \\"
			}
			_, size := utf8.DecodeRuneInString(pattern[i+1:])
			lit.WriteString(pattern[i+1 : i+1+size])
			i += 1 + size
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(pattern) && pattern[j] == c {
				j++
			}
			run := j - i
			ok := false
			for _, l := range tokenLengths[c] {
				ok = ok || l == run
			}
			if !ok {
				tok := pattern[i:j]
				if run > 8 {
					tok = pattern[i:i+8] + "…"
				}
				return nil, fmt.Sprintf("unknown token %q in pattern (tokens: %s; quote literal text: 'at')", tok, tokenList)
			}
			flush()
			toks = append(toks, token{c: c, run: run})
			i = j
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return toks, ""
}

// context says which CLDR forms a pattern's names take.
type context struct {
	n                 *culture.Names
	monthInDate       bool // the pattern has a day of the month: months in their format form
	weekdayStandAlone bool // the weekday is the only date field
}

// formatTime formats t (already in the zone to show) by pattern. It returns an error message
// instead of a string when the pattern is wrong.
func formatTime(t time.Time, pattern string, n *culture.Names) (string, string) {
	var buf [16]token
	toks, err := tokenize(pattern, buf[:0])
	if err != "" {
		return "", err
	}
	ctx := context{n: n, weekdayStandAlone: true}
	for _, tk := range toks {
		switch {
		case tk.c == 'd' && tk.run <= 2:
			ctx.monthInDate = true
			ctx.weekdayStandAlone = false
		case tk.c == 'M' || tk.c == 'y':
			ctx.weekdayStandAlone = false
		}
	}
	var b strings.Builder
	b.Grow(len(pattern) + 16)
	for _, tk := range toks {
		if tk.c == 0 {
			b.WriteString(tk.lit)
			continue
		}
		writeToken(&b, t, tk.c, tk.run, &ctx)
	}
	return b.String(), ""
}

func writeToken(b *strings.Builder, t time.Time, c byte, run int, ctx *context) {
	n := ctx.n
	num := func(v, width int) { writePadded(b, v, width) }
	switch c {
	case 'y':
		if run == 4 {
			writeYear(b, t.Year(), false)
		} else {
			num((t.Year()%100+100)%100, 2)
		}
	case 'M':
		switch run {
		case 3:
			if ctx.monthInDate {
				b.WriteString(n.MonthsAbbr[t.Month()-1])
			} else {
				b.WriteString(n.MonthsAbbrStandAlone[t.Month()-1])
			}
		case 4:
			if ctx.monthInDate {
				b.WriteString(n.Months[t.Month()-1])
			} else {
				b.WriteString(n.MonthsStandAlone[t.Month()-1])
			}
		default:
			num(int(t.Month()), run)
		}
	case 'd':
		switch run {
		case 3:
			if ctx.weekdayStandAlone {
				b.WriteString(n.DaysAbbrStandAlone[t.Weekday()])
			} else {
				b.WriteString(n.DaysAbbr[t.Weekday()])
			}
		case 4:
			if ctx.weekdayStandAlone {
				b.WriteString(n.DaysStandAlone[t.Weekday()])
			} else {
				b.WriteString(n.Days[t.Weekday()])
			}
		default:
			num(t.Day(), run)
		}
	case 'H':
		num(t.Hour(), run)
	case 'h':
		num((t.Hour()+11)%12+1, run)
	case 'm':
		num(t.Minute(), run)
	case 's':
		num(t.Second(), run)
	case 'f':
		ms := t.Nanosecond() / 1e6
		num(ms/[]int{100, 10, 1}[run-1], run)
	case 't':
		if t.Hour() < 12 {
			b.WriteString(n.AM)
		} else {
			b.WriteString(n.PM)
		}
	}
}
