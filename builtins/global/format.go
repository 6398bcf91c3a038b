package global

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/kubusdev/kubus/rulesets/culture"
)

// NUM and CUR format numbers for a culture (a BCP 47 tag: the execution's, else the ruleset's).
//
// The culture's data comes from Unicode CLDR through package culture (which also decides which
// tags are cultures): decimal and grouping separators (and the currency ones where CLDR has them:
// fr-CH writes 1 234,5 but 1 234.50 CHF), grouping sizes and minimum grouping digits (es, it, pl
// and pt-PT write 1234 but 12.345), minus sign, digits, the currency of the tag's region with its
// symbol, minor-unit digits (JPY 0) and CLDR's currency pattern with its currency spacing. The
// digits themselves are produced here, from the decimal value (15 significant digits, rounded half
// away from zero by roundDecimal).
//
// Formats are cached per culture string: a call does one sync.Map lookup and formats into a
// stack buffer, without fmt or reflection.

// numberFormat is one culture's way of writing numbers.
type numberFormat struct {
	decimal, group       string // separators in NUM
	curDecimal, curGroup string // separators in CUR
	primary, secondary   int    // group sizes next to the decimal separator and further left (0: no grouping)
	minGrouping          int    // group only integer parts of at least primary+minGrouping digits
	minus                string
	digits               *[10]string // the culture's digits; nil for 0-9
	currency             string      // ISO code of the culture's currency; "" for none
	curDigits            int         // the currency's minor-unit digits (CUR's default decimals)
	pos, neg             [2]string   // CUR's text before and after the unsigned number
}

// noCulture is the format without a culture: no grouping, "." and "-", no currency symbol.
var noCulture = &numberFormat{decimal: ".", curDecimal: ".", minus: "-", curDigits: 2, neg: [2]string{"-", ""}}

// maxCachedCultures bounds the format cache: the execution culture comes from the caller, and
// a stream of distinct tags must not grow memory without limit. Past it, formats are built per
// call (correct, only slower).
const maxCachedCultures = 256

var (
	cultureCache  sync.Map // culture string → cultureEntry
	cachedEntries atomic.Int32
)

type cultureEntry struct {
	nf  *numberFormat
	err error
}

// formatFor is the number format of a culture string ("" is noCulture).
func formatFor(tag string) (*numberFormat, error) {
	if tag == "" {
		return noCulture, nil
	}
	if v, ok := cultureCache.Load(tag); ok {
		e := v.(cultureEntry)
		return e.nf, e.err
	}
	var nf *numberFormat
	c, err := culture.Resolve(tag)
	if err == nil {
		nf = newNumberFormat(c)
	}
	if cachedEntries.Load() < maxCachedCultures {
		if _, loaded := cultureCache.LoadOrStore(tag, cultureEntry{nf, err}); !loaded {
			cachedEntries.Add(1)
		}
	}
	return nf, err
}

// newNumberFormat lays out a culture's CLDR data for NUM and CUR.
func newNumberFormat(c *culture.Culture) *numberFormat {
	s := c.Numbers()
	nf := &numberFormat{
		decimal: s.Decimal, group: s.Group, curDecimal: s.CurrencyDecimal, curGroup: s.CurrencyGroup,
		primary: s.Primary, secondary: s.Secondary, minGrouping: s.MinGrouping,
		minus: s.Minus, digits: s.Digits, currency: c.Currency, curDigits: 2,
	}
	if nf.currency == "" {
		return nf
	}
	nf.curDigits = culture.CurrencyDigits(nf.currency)
	symbol := c.CurrencySymbol(nf.currency)
	pattern := s.CurrencyPattern
	if symbolLetterNextToNumber(pattern, symbol) {
		pattern = s.CurrencyAlphaPattern
	}
	pos, neg, hasNeg := strings.Cut(pattern, ";")
	if !hasNeg {
		neg = "-" + pos // CLDR: the minus sign before the positive pattern
	}
	nf.pos = currencyAffixes(pos, symbol, nf.minus)
	nf.neg = currencyAffixes(neg, symbol, nf.minus)
	return nf
}

// numberSpan is where the number is in a CLDR pattern ("¤ #,##0.00": from the # to the last 0).
func numberSpan(pattern string) (int, int) {
	return strings.IndexAny(pattern, "#0"), strings.LastIndexAny(pattern, "#0.,") + 1
}

// symbolLetterNextToNumber reports whether the symbol touches the number with a letter in the
// pattern ("CHF" in "¤#,##0.00"): then CLDR's alphaNextToNumber pattern applies.
func symbolLetterNextToNumber(pattern, symbol string) bool {
	pos, _, _ := strings.Cut(pattern, ";")
	i, j := numberSpan(pos)
	if i >= len("¤") && pos[i-len("¤"):i] == "¤" {
		r, _ := utf8.DecodeLastRuneInString(symbol)
		return unicode.IsLetter(r)
	}
	if strings.HasPrefix(pos[j:], "¤") {
		r, _ := utf8.DecodeRuneInString(symbol)
		return unicode.IsLetter(r)
	}
	return false
}

// currencyAffixes are the texts before and after the number in a currency subpattern, with the
// symbol and minus sign in place and CLDR's currency spacing: a U+00A0 between a digit and a
// symbol whose neighbouring character is neither a symbol (S) nor a separator (Z), so "CHF1.00"
// cannot happen.
func currencyAffixes(pattern, symbol, minus string) [2]string {
	i, j := numberSpan(pattern)
	first, _ := utf8.DecodeRuneInString(symbol)
	last, _ := utf8.DecodeLastRuneInString(symbol)
	spaced := func(r rune) bool { return r != utf8.RuneError && !unicode.In(r, unicode.S, unicode.Z) }
	expand := func(s string, before bool) string {
		var b strings.Builder
		for k, r := range s {
			switch r {
			case '¤':
				touches := before && k+len("¤") == len(s) || !before && k == 0
				if touches && !before && spaced(first) {
					b.WriteString("\u00a0")
				}
				b.WriteString(symbol)
				if touches && before && spaced(last) {
					b.WriteString("\u00a0")
				}
			case '-':
				b.WriteString(minus)
			default:
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	return [2]string{expand(pattern[:i], true), expand(pattern[j:], false)}
}

// rounded is x as NUM and CUR write it: rounded half away from zero to decimals places on its
// decimal value; decimals < 0 keeps all 15 significant digits. A negative result is written with
// the minus sign, a zero one never.
func rounded(x float64, decimals int) float64 {
	if decimals < 0 {
		return x
	}
	return roundDecimal(x, decimals, halfAwayFromZero)
}

// appendDecimal appends r (finite, from rounded) without its sign, grouped, with the given
// separators and the culture's digits, with exactly decimals places (decimals < 0: its shortest
// form of at most 15 significant digits).
func (nf *numberFormat) appendDecimal(out []byte, r float64, decimals int, group, decimal string) []byte {
	var intDigits, fracDigits []byte
	var buf [32]byte
	var mant [significantDigits + 1]byte
	var intBuf [400]byte // |r| < 1.8e308: at most 309 integer digits
	if r != 0 {
		// r's 15 significant digits are exactly the rounded decimal: roundDecimal returns the
		// float64 nearest to a decimal of at most 15 significant digits, and 15-digit decimals
		// survive a round trip through float64.
		b := strconv.AppendFloat(buf[:0], r, 'e', significantDigits-1, 64)
		if b[0] == '-' {
			b = b[1:]
		}
		n := 0
		k := 0
		for ; b[k] != 'e'; k++ {
			if b[k] != '.' {
				mant[n] = b[k]
				n++
			}
		}
		for n > 1 && mant[n-1] == '0' {
			n--
		}
		e, _ := strconv.Atoi(string(b[k+1:]))
		m := mant[:n]
		if e >= 0 {
			if n > e+1 {
				intDigits, fracDigits = m[:e+1], m[e+1:]
			} else {
				intDigits = append(intBuf[:0], m...)
				for range e + 1 - n {
					intDigits = append(intDigits, '0')
				}
			}
		} else {
			intDigits = append(intBuf[:0], '0')
			fracDigits = intBuf[1:1]
			for range -e - 1 {
				fracDigits = append(fracDigits, '0')
			}
			fracDigits = append(fracDigits, m...)
		}
	} else {
		intDigits = append(intBuf[:0], '0')
	}
	if decimals >= 0 && len(fracDigits) > decimals {
		fracDigits = fracDigits[:decimals] // cannot happen (see above); never write more
	}

	// Integer part, grouped from the right: primary, then secondary sizes; not at all when it
	// has fewer than primary+minGrouping digits.
	grouped := nf.primary > 0 && len(intDigits) >= nf.primary+nf.minGrouping
	for k, d := range intDigits {
		if k > 0 && grouped {
			if left := len(intDigits) - k; left >= nf.primary && (left-nf.primary)%nf.secondary == 0 {
				out = append(out, group...)
			}
		}
		out = nf.appendDigit(out, d)
	}
	pad := 0
	if decimals > len(fracDigits) {
		pad = decimals - len(fracDigits)
	}
	if len(fracDigits)+pad > 0 {
		out = append(out, decimal...)
		for _, d := range fracDigits {
			out = nf.appendDigit(out, d)
		}
		for range pad {
			out = nf.appendDigit(out, '0')
		}
	}
	return out
}

func (nf *numberFormat) appendDigit(out []byte, d byte) []byte {
	if nf.digits == nil {
		return append(out, d)
	}
	return append(out, nf.digits[d-'0']...)
}

// formatNumber is NUM: the signed number.
func (nf *numberFormat) formatNumber(x float64, decimals int) string {
	var buf [128]byte
	r := rounded(x, decimals)
	b := buf[:0]
	if r < 0 {
		b = append(b, nf.minus...)
	}
	return string(nf.appendDecimal(b, r, decimals, nf.group, nf.decimal))
}

// formatCurrency is CUR: the number laid out in the culture's currency pattern.
func (nf *numberFormat) formatCurrency(x float64, decimals int) string {
	var buf [192]byte
	r := rounded(x, decimals)
	aff := &nf.pos
	if r < 0 {
		aff = &nf.neg
	}
	b := nf.appendDecimal(append(buf[:0], aff[0]...), r, decimals, nf.curGroup, nf.curDecimal)
	return string(append(b, aff[1]...))
}
