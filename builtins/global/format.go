package global

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// NUM and CUR format numbers for a culture (a BCP 47 tag: the execution's, else the ruleset's).
//
// golang.org/x/text supplies the culture's data: its decimal and grouping separators, grouping
// sizes, minus sign and digits (read once per culture by formatting probe numbers with an x/text
// printer, see newNumberFormat) and its currency (from the tag's region) and currency symbol.
// The digits themselves are produced here, from the decimal value (15 significant digits, rounded
// half away from zero by roundDecimal), because x/text rounds the binary value. The layout of a
// currency amount (symbol before or after, with or without a space, where the minus goes) comes
// from the CLDR currency patterns in currencyPatterns, because x/text always writes
// "symbol, space, number" ("$ 3.99" where CLDR's en says "$3.99").
//
// Formats are cached per culture string: a call does one sync.Map lookup and formats into a
// stack buffer, without fmt or reflection.

// numberFormat is one culture's way of writing numbers.
type numberFormat struct {
	decimal   string      // decimal separator
	group     string      // grouping separator; "" when the culture does not group
	primary   int         // size of the group next to the decimal separator (0: no grouping)
	secondary int         // size of the groups further left (3 mostly; 2 in hi: 1,23,45,678)
	minus     string      // written before the digits of a negative number
	digits    *[10]string // the culture's digits; nil for 0-9
	symbol    string      // currency symbol
	pos, neg  string      // currency patterns: ¤ the symbol, # the unsigned number, - the minus sign
}

// noCulture is the format without a culture: no grouping, "." and "-", no currency symbol.
var noCulture = &numberFormat{decimal: ".", minus: "-", pos: "#", neg: "-#"}

// currencyPatterns are CLDR's standard currency patterns (positive; negative), by language and
// by language-region where the region differs. The space is an ASCII space (CLDR has U+00A0):
// the documented nl result is "€ 3,99". A language not listed gets defaultCurrencyPattern.
var currencyPatterns = map[string][2]string{
	"en":    {"¤#", "-¤#"},
	"nl":    {"¤ #", "¤ -#"},
	"de":    {"# ¤", "-# ¤"},
	"de-AT": {"¤ #", "-¤ #"},
	"de-CH": {"¤ #", "¤-#"},
	"fr":    {"# ¤", "-# ¤"},
	"es":    {"# ¤", "-# ¤"},
	"es-MX": {"¤#", "-¤#"},
	"es-US": {"¤#", "-¤#"},
	"it":    {"# ¤", "-# ¤"},
	"pt":    {"¤ #", "-¤ #"},
	"pt-PT": {"# ¤", "-# ¤"},
	"sv":    {"# ¤", "-# ¤"},
	"fi":    {"# ¤", "-# ¤"},
	"hi":    {"¤#", "-¤#"},
	"pl":    {"# ¤", "-# ¤"},
	"cs":    {"# ¤", "-# ¤"},
	"ru":    {"# ¤", "-# ¤"},
	"ja":    {"¤#", "-¤#"},
	"zh":    {"¤#", "-¤#"},
}

// defaultCurrencyPattern is x/text's own layout: the symbol, a space, the signed number.
var defaultCurrencyPattern = [2]string{"¤ #", "¤ -#"}

// maxCachedCultures bounds the culture cache: the execution culture comes from the caller, and
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
func formatFor(culture string) (*numberFormat, error) {
	if culture == "" {
		return noCulture, nil
	}
	if v, ok := cultureCache.Load(culture); ok {
		e := v.(cultureEntry)
		return e.nf, e.err
	}
	nf, err := newNumberFormat(culture)
	if cachedEntries.Load() < maxCachedCultures {
		if _, loaded := cultureCache.LoadOrStore(culture, cultureEntry{nf, err}); !loaded {
			cachedEntries.Add(1)
		}
	}
	return nf, err
}

// newNumberFormat reads a culture's number symbols from x/text by formatting probe numbers.
func newNumberFormat(culture string) (*numberFormat, error) {
	tag, err := language.Parse(culture)
	if err != nil {
		return nil, err
	}
	p := message.NewPrinter(tag)
	nf := &numberFormat{}

	// Digits: 9876543210 without separators, one rune per digit.
	native := []rune(p.Sprint(number.Decimal(9876543210, number.NoSeparator())))
	if len(native) != 10 {
		return nil, fmt.Errorf("cannot read the digits of %s", tag)
	}
	var digits [10]string
	ascii := true
	for i, r := range native {
		digits[9-i] = string(r)
		ascii = ascii && r == rune('0'+9-i)
	}
	if !ascii {
		nf.digits = &digits
	}
	toASCII := func(s string) string {
		if nf.digits == nil {
			return s
		}
		for d, r := range nf.digits {
			s = strings.ReplaceAll(s, r, string(rune('0'+d)))
		}
		return s
	}

	// Decimal separator: what x/text writes between 1 and 5 in 1.5.
	s := toASCII(p.Sprint(number.Decimal(1.5, number.Scale(1))))
	i, j := strings.IndexByte(s, '1'), strings.LastIndexByte(s, '5')
	if i != 0 || j != len(s)-1 || j <= i+1 {
		return nil, fmt.Errorf("cannot read the decimal separator of %s from %q", tag, s)
	}
	nf.decimal = s[i+1 : j]

	// Minus sign: what x/text writes before the 1 of −1 (a prefix in every CLDR locale).
	s = toASCII(p.Sprint(number.Decimal(-1)))
	if !strings.HasSuffix(s, "1") || len(s) < 2 {
		return nil, fmt.Errorf("cannot read the minus sign of %s from %q", tag, s)
	}
	nf.minus = s[:len(s)-1]

	// Grouping: the runs of digits in 1234567890 give the group sizes, the text between them
	// the separator.
	s = toASCII(p.Sprint(number.Decimal(1234567890)))
	var runs []int
	for k := 0; k < len(s); {
		if c := s[k]; c >= '0' && c <= '9' {
			n := 0
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				n++
				k++
			}
			runs = append(runs, n)
			continue
		}
		l := k
		for k < len(s) && (s[k] < '0' || s[k] > '9') {
			k++
		}
		if sep := s[l:k]; nf.group == "" {
			nf.group = sep
		} else if sep != nf.group {
			return nil, fmt.Errorf("cannot read the grouping of %s from %q", tag, s)
		}
	}
	switch {
	case len(runs) == 1:
		nf.group = ""
	case len(runs) == 2:
		nf.primary, nf.secondary = runs[1], runs[1]
	case len(runs) > 2:
		nf.primary, nf.secondary = runs[len(runs)-1], runs[len(runs)-2]
	}
	if len(runs) > 1 && (nf.primary == 0 || nf.secondary == 0 || nf.group == "") {
		return nil, fmt.Errorf("cannot read the grouping of %s from %q", tag, s)
	}

	// Currency: the tag's region's currency (nl → EUR, en → USD, en-GB → GBP) and its symbol.
	unit, _ := currency.FromTag(tag)
	nf.symbol = p.Sprint(currency.Symbol(unit))
	base, _ := tag.Base()
	region, _ := tag.Region()
	pat, ok := currencyPatterns[base.String()+"-"+region.String()]
	if !ok {
		if pat, ok = currencyPatterns[base.String()]; !ok {
			pat = defaultCurrencyPattern
		}
	}
	nf.pos, nf.neg = pat[0], pat[1]
	return nf, nil
}

// appendDecimal appends x (finite) as a decimal number in the format: rounded half away from zero
// to decimals places on its decimal value (decimals < 0: all 15 significant digits, shortest
// form), grouped, with the culture's separators and digits, without a sign. It reports whether
// the number is negative (never for a result that is zero).
func (nf *numberFormat) appendDecimal(out []byte, x float64, decimals int) ([]byte, bool) {
	r := x
	if decimals >= 0 {
		r = roundDecimal(x, decimals, halfAwayFromZero)
	}
	var intDigits, fracDigits []byte
	neg := false
	var buf [32]byte
	var mant [significantDigits + 1]byte
	var intBuf [400]byte // |r| < 1.8e308: at most 309 integer digits
	if r != 0 {
		// r's 15 significant digits are exactly the rounded decimal: roundDecimal returns the
		// float64 nearest to a decimal of at most 15 significant digits, and 15-digit decimals
		// survive a round trip through float64.
		b := strconv.AppendFloat(buf[:0], r, 'e', significantDigits-1, 64)
		if neg = b[0] == '-'; neg {
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

	// Integer part, grouped from the right: primary, then secondary sizes.
	for k, d := range intDigits {
		if k > 0 && nf.primary > 0 {
			if left := len(intDigits) - k; left >= nf.primary && (left-nf.primary)%nf.secondary == 0 {
				out = append(out, nf.group...)
			}
		}
		out = nf.appendDigit(out, d)
	}
	pad := 0
	if decimals > len(fracDigits) {
		pad = decimals - len(fracDigits)
	}
	if len(fracDigits)+pad > 0 {
		out = append(out, nf.decimal...)
		for _, d := range fracDigits {
			out = nf.appendDigit(out, d)
		}
		for range pad {
			out = nf.appendDigit(out, '0')
		}
	}
	return out, neg
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
	num, neg := nf.appendDecimal(buf[:0], x, decimals)
	if !neg {
		return string(num)
	}
	return nf.minus + string(num)
}

// formatCurrency is CUR: the number laid out in the culture's currency pattern.
func (nf *numberFormat) formatCurrency(x float64, decimals int) string {
	var buf [128]byte
	num, neg := nf.appendDecimal(buf[:0], x, decimals)
	pat := nf.pos
	if neg {
		pat = nf.neg
	}
	var out [160]byte
	b := out[:0]
	for k := 0; k < len(pat); {
		r, size := utf8.DecodeRuneInString(pat[k:])
		switch r {
		case '¤':
			b = append(b, nf.symbol...)
		case '#':
			b = append(b, num...)
		case '-':
			b = append(b, nf.minus...)
		default:
			b = utf8.AppendRune(b, r)
		}
		k += size
	}
	return string(b)
}
