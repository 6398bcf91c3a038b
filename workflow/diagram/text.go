package diagram

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Display caps: a name or label longer than this is cut with an ellipsis in the picture (the full
// name stays in the SVG title and data-step attribute), so that one long name cannot stretch it.
const (
	maxNameRunes  = 48
	maxLabelRunes = 40
)

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// textWidth estimates how wide s is drawn at size px. The viewer's font is not known here, so the
// widths per class of character are those of DejaVu Sans, wider than Helvetica or Arial: text then
// always fits its box, with a little room to spare in a browser.
func textWidth(s string, size float64, bold bool) float64 {
	em := 0.0
	for _, r := range s {
		em += runeWidth(r)
	}
	if bold {
		em *= 1.1
	}
	return em * size
}

func runeWidth(r rune) float64 {
	switch {
	case strings.ContainsRune("iljI.,:;'|!", r):
		return 0.3
	case r == ' ' || strings.ContainsRune("frt()[]{}/\\-", r):
		return 0.4
	case strings.ContainsRune("mwMW@%", r):
		return 0.92
	case r >= '0' && r <= '9':
		return 0.64
	case r >= 'a' && r <= 'z':
		return 0.62
	case r >= 'A' && r <= 'Z':
		return 0.72
	case r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)):
		return 1.0
	}
	return 0.7
}

// esc escapes text for XML content and attribute values; characters XML cannot hold become U+FFFD.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// num formats a coordinate with one decimal, without a trailing .0, so that output is compact and
// the same on every machine.
func num(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0 // no -0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
