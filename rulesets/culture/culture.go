// Package culture is Kubus's one rule for cultures, and the Unicode CLDR data behind them.
//
// A culture is a BCP 47 tag (nl-NL, en-GB, fr-CH, de, zh-Hant-TW). Resolve finds the CLDR locale
// that serves it: the tag's language, script (its likely script when not written) and region,
// then fewer subtags: nl-BE is CLDR's nl-BE, nl-NL and nl-DE are CLDR's nl, zh-TW is zh-Hant. A tag
// whose language CLDR has no data for (tlh, xx), an unknown region (en-ZZ) or a tag with
// extensions (-u-, -x-) is an error: nothing falls back to English or to a currency XXX.
//
// The ruleset loader, NUM, CUR, Date.format and the engine's execution culture all use Resolve.
// The data (data.go) is generated from CLDR's JSON by ./gen; CLDRVersion says which version.
package culture

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/text/language"
)

// Culture is a resolved culture: the CLDR locale that serves a tag, and the tag's currency.
type Culture struct {
	Tag      string // the tag as written
	Locale   string // the CLDR locale whose data is used, e.g. "nl" for nl-NL
	Currency string // ISO 4217 code of the region's currency ("" when the region has none, e.g. 001)

	d *data
}

// data is one CLDR locale, as written by ./gen.
type data struct {
	id     string
	parent int // index in locales of the parent locale, -1 for none

	digits                         string // the 10 digits of the default numbering system; "" for 0-9
	decimal, group                 string
	currencyDecimal, currencyGroup string // "" when the same as decimal and group
	minus, plus, percent           string
	primary, secondary             int // grouping sizes (0: the locale does not group)
	minGrouping                    int // minimum grouping digits: group 1234 only if 1 (es, it, pl: 2)

	decimalPattern, percentPattern        string // CLDR patterns, e.g. "#,##0.###"
	currencyPattern, currencyAlphaPattern string // "¤#,##0.00"; the one for a symbol ending in a letter

	symbols []symbol // currency symbols that differ from the parent's (a missing one is the code)

	months, monthsAbbr, monthsStandAlone, monthsAbbrStandAlone [12]string
	days, daysAbbr, daysStandAlone, daysAbbrStandAlone         [7]string // Sunday first
	am, pm                                                     string
}

type symbol struct{ code, symbol string }

// Error is a culture Resolve refuses.
type Error struct {
	Tag    string
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("unknown culture %q: %s (use a BCP 47 tag CLDR has data for, such as nl-NL or en-US)", e.Tag, e.Reason)
}

// maxCached bounds the cache: execution cultures come from callers, and a stream of distinct tags
// must not grow memory without limit. Past it, tags are resolved per call (correct, slower).
const maxCached = 1024

var (
	cache  sync.Map // tag → result
	cached atomic.Int32
)

type result struct {
	c   *Culture
	err error
}

// Resolve is the culture of a tag. The result is shared: do not change it.
func Resolve(tag string) (*Culture, error) {
	if v, ok := cache.Load(tag); ok {
		r := v.(result)
		return r.c, r.err
	}
	c, err := resolve(tag)
	if cached.Load() < maxCached {
		if _, loaded := cache.LoadOrStore(tag, result{c, err}); !loaded {
			cached.Add(1)
		}
	}
	return c, err
}

// maxTagLength bounds the text parsed: the longest useful tag is far shorter.
const maxTagLength = 64

func resolve(tag string) (*Culture, error) {
	fail := func(format string, args ...any) (*Culture, error) {
		return nil, &Error{Tag: tag, Reason: fmt.Sprintf(format, args...)}
	}
	if tag == "" {
		return fail("the tag is empty")
	}
	if len(tag) > maxTagLength {
		return fail("the tag is longer than %d characters", maxTagLength)
	}
	t, err := language.Parse(tag)
	if err != nil {
		var v interface{ Subtag() string }
		if errors.As(err, &v) {
			return fail("%s is not a language or subtag BCP 47 knows", v.Subtag())
		}
		return fail("not a BCP 47 tag")
	}
	if len(t.Extensions()) > 0 {
		return fail("extensions (-u-, -t-, -x-) are not supported")
	}
	base, conf := t.Base()
	if conf != language.Exact { // "und", "root": x/text guesses one, but none was written

		return fail("no language")
	}
	script, _ := t.Script()
	region, regionConf := t.Region()
	explicitRegion := regionConf == language.Exact
	var variants []string
	for _, v := range t.Variants() {
		variants = append(variants, v.String())
	}

	lang, scr, reg := base.String(), script.String(), region.String()
	likelyScript, _ := language.Make(lang).Script()
	candidates := []string{}
	add := func(parts ...string) {
		candidates = append(candidates, strings.Join(parts, "-"))
	}
	if len(variants) > 0 {
		add(append([]string{lang, scr, reg}, variants...)...)
		add(append([]string{lang, reg}, variants...)...)
		add(append([]string{lang}, variants...)...)
	}
	add(lang, scr, reg)
	if scr == likelyScript.String() {
		add(lang, reg)
	}
	add(lang, scr)
	if scr == likelyScript.String() {
		add(lang)
	}
	i := -1
	for _, id := range candidates {
		if i = find(id); i >= 0 {
			break
		}
	}
	if i < 0 {
		return fail("CLDR %s has no data for the language %s", CLDRVersion, lang)
	}
	d := &locales[i]
	if explicitRegion && !region.IsCountry() && !strings.HasSuffix(d.id, "-"+reg) {
		return fail("%s is not a country or a region CLDR has data for", reg)
	}
	c := &Culture{Tag: tag, Locale: d.id, d: d}
	if region.IsCountry() {
		c.Currency = regionCurrencies[reg]
	}
	return c, nil
}

func find(id string) int {
	i := sort.Search(len(locales), func(i int) bool { return locales[i].id >= id })
	if i < len(locales) && locales[i].id == id {
		return i
	}
	return -1
}

// Locales lists the ids of CLDR's locales, sorted.
func Locales() []string {
	ids := make([]string, len(locales))
	for i := range locales {
		ids[i] = locales[i].id
	}
	return ids
}

// Symbols are a culture's number symbols and layout.
type Symbols struct {
	Digits                         *[10]string // the culture's digits; nil for 0-9
	Decimal, Group                 string
	CurrencyDecimal, CurrencyGroup string // the decimal and group separators in currency amounts
	Minus, Plus, Percent           string
	Primary, Secondary             int // grouping sizes; 0 when the culture does not group
	MinGrouping                    int // an integer part is grouped only with at least Primary+MinGrouping digits
	DecimalPattern, PercentPattern string
	CurrencyPattern                string // the standard currency pattern
	CurrencyAlphaPattern           string // the pattern when the symbol ends (or starts) with a letter next to the number
}

var digitsCache sync.Map // digit string → *[10]string

// Numbers are the culture's number symbols.
func (c *Culture) Numbers() Symbols {
	d := c.d
	s := Symbols{
		Decimal: d.decimal, Group: d.group, CurrencyDecimal: d.decimal, CurrencyGroup: d.group,
		Minus: d.minus, Plus: d.plus, Percent: d.percent,
		Primary: d.primary, Secondary: d.secondary, MinGrouping: d.minGrouping,
		DecimalPattern: d.decimalPattern, PercentPattern: d.percentPattern,
		CurrencyPattern: d.currencyPattern, CurrencyAlphaPattern: d.currencyAlphaPattern,
	}
	if d.currencyDecimal != "" {
		s.CurrencyDecimal = d.currencyDecimal
	}
	if d.currencyGroup != "" {
		s.CurrencyGroup = d.currencyGroup
	}
	if s.CurrencyAlphaPattern == "" {
		s.CurrencyAlphaPattern = s.CurrencyPattern
	}
	if d.digits != "" {
		if v, ok := digitsCache.Load(d.digits); ok {
			s.Digits = v.(*[10]string)
		} else {
			var ds [10]string
			k := 0
			for _, r := range d.digits {
				ds[k] = string(r)
				k++
			}
			v, _ := digitsCache.LoadOrStore(d.digits, &ds)
			s.Digits = v.(*[10]string)
		}
	}
	return s
}

// CurrencySymbol is the culture's symbol for a currency code ("€", "US$", "CHF").
func (c *Culture) CurrencySymbol(code string) string {
	for i := c.d; ; i = &locales[i.parent] {
		for _, s := range i.symbols {
			if s.code == code {
				return s.symbol
			}
		}
		if i.parent < 0 {
			return code
		}
	}
}

// CurrencyDigits are the minor-unit digits of a currency (2, JPY 0, KWD 3).
func CurrencyDigits(code string) int {
	if d, ok := currencyDigits[code]; ok {
		return int(d)
	}
	return 2
}

// Names are a culture's month and weekday names and day periods.
type Names struct {
	// Months and MonthsAbbr are the forms used in a date ("5 maart"); the StandAlone ones the
	// forms on their own ("maart"). They differ in languages that decline month names (ru, pl, cs).
	Months, MonthsAbbr, MonthsStandAlone, MonthsAbbrStandAlone *[12]string
	// Days are Sunday first.
	Days, DaysAbbr, DaysStandAlone, DaysAbbrStandAlone *[7]string
	AM, PM                                             string
}

// Names are the culture's calendar names (Gregorian calendar).
func (c *Culture) Names() Names {
	d := c.d
	return Names{
		Months: &d.months, MonthsAbbr: &d.monthsAbbr, MonthsStandAlone: &d.monthsStandAlone, MonthsAbbrStandAlone: &d.monthsAbbrStandAlone,
		Days: &d.days, DaysAbbr: &d.daysAbbr, DaysStandAlone: &d.daysStandAlone, DaysAbbrStandAlone: &d.daysAbbrStandAlone,
		AM: d.am, PM: d.pm,
	}
}
