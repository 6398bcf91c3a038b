package date

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// names are a language's month and weekday names. golang.org/x/text carries CLDR calendar data only
// in an unexported table (golang.org/x/text/date has no public API), so the four languages rule
// authors use are spelled out here, as CLDR writes them in dates (abbreviations: CLDR's stand-alone
// forms; French keeps its dots).
type names struct {
	months, monthsShort [12]string
	days, daysShort     [7]string // Sunday first
}

var languages = map[string]*names{
	"en": {
		months:      [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		monthsShort: [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		days:        [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		daysShort:   [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
	},
	"nl": {
		months:      [12]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
		monthsShort: [12]string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"},
		days:        [7]string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"},
		daysShort:   [7]string{"zo", "ma", "di", "wo", "do", "vr", "za"},
	},
	"de": {
		months:      [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		monthsShort: [12]string{"Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"},
		days:        [7]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		daysShort:   [7]string{"So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"},
	},
	"fr": {
		months:      [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		monthsShort: [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."},
		days:        [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
		daysShort:   [7]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."},
	},
}

// namesFor picks the names for a culture ("nl-NL", "fr_BE", "de"): by its language, English when
// the language is not one of en, nl, de, fr (or the culture is empty).
func namesFor(culture string) *names {
	lang, _, _ := strings.Cut(culture, "-")
	lang, _, _ = strings.Cut(lang, "_")
	if n, ok := languages[strings.ToLower(lang)]; ok {
		return n
	}
	return languages["en"]
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
	var culture string
	if e := h.Exec(); e != nil {
		culture = e.Culture
	}
	culture = h.OptString(call, 1, fn, "culture", culture)
	s, err := formatTime(t, pattern, namesFor(culture))
	if err != "" {
		h.RangeError(fn, "%s", err)
	}
	return h.VM.ToValue(s)
}

// formatTime formats t (already in the zone to show) by pattern. It returns an error message
// instead of a string when the pattern is wrong.
func formatTime(t time.Time, pattern string, n *names) (string, string) {
	var b strings.Builder
	b.Grow(len(pattern) + 16)
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			if i+1 < len(pattern) && pattern[i+1] == '\'' { // '' is a quote
				b.WriteByte('\'')
				i += 2
				continue
			}
			j := i + 1
			for {
				k := strings.IndexByte(pattern[j:], '\'')
				if k < 0 {
					return "", fmt.Sprintf("unclosed quote at position %d in pattern", i)
				}
				b.WriteString(pattern[j : j+k])
				j += k + 1
				if j < len(pattern) && pattern[j] == '\'' { // '' inside quotes
					b.WriteByte('\'')
					j++
					continue
				}
				break
			}
			i = j
		case c == '\\':
			if i+1 >= len(pattern) {
				return "", "the pattern ends with a lone \\"
			}
			_, size := utf8.DecodeRuneInString(pattern[i+1:])
			b.WriteString(pattern[i+1 : i+1+size])
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
				return "", fmt.Sprintf("unknown token %q in pattern (tokens: %s; quote literal text: 'at')", tok, tokenList)
			}
			writeToken(&b, t, c, run, n)
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), ""
}

func writeToken(b *strings.Builder, t time.Time, c byte, run int, n *names) {
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
			b.WriteString(n.monthsShort[t.Month()-1])
		case 4:
			b.WriteString(n.months[t.Month()-1])
		default:
			num(int(t.Month()), run)
		}
	case 'd':
		switch run {
		case 3:
			b.WriteString(n.daysShort[t.Weekday()])
		case 4:
			b.WriteString(n.days[t.Weekday()])
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
			b.WriteString("AM")
		} else {
			b.WriteString("PM")
		}
	}
}
