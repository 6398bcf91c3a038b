package culture

import (
	"errors"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	for _, c := range []struct{ tag, locale, currency string }{
		{"nl", "nl", "EUR"},
		{"nl-NL", "nl", "EUR"}, // CLDR's nl is nl-NL (default content)
		{"nl_NL", "nl", "EUR"},
		{"NL-nl", "nl", "EUR"},
		{"nl-BE", "nl-BE", "EUR"},
		{"nl-DE", "nl", "EUR"}, // Dutch in Germany: Dutch names and symbols, the euro
		{"nl-CH", "nl", "CHF"},
		{"en", "en", "USD"},
		{"en-US", "en", "USD"},
		{"en-GB", "en-GB", "GBP"},
		{"en-IN", "en-IN", "INR"},
		{"de-CH", "de-CH", "CHF"},
		{"fr-CH", "fr-CH", "CHF"},
		{"ja-JP", "ja", "JPY"},
		{"zh-TW", "zh-Hant", "TWD"},   // the likely script: Traditional
		{"zh-Hant", "zh-Hant", "TWD"}, // the likely region: Taiwan
		{"zh", "zh-Hans", "CNY"},
		{"sr-RS", "sr-Cyrl", "RSD"},
		{"sr-Latn-RS", "sr-Latn", "RSD"},
		{"es-419", "es-419", ""}, // Latin America: a CLDR locale, not a country
		{"en-001", "en-001", ""},
		{"ca-ES-valencia", "ca-ES-valencia", "EUR"},
		{"pt", "pt", "BRL"},
		{"pt-PT", "pt-PT", "EUR"},
	} {
		got, err := Resolve(c.tag)
		if err != nil {
			t.Errorf("Resolve(%q): %v", c.tag, err)
			continue
		}
		if got.Locale != c.locale || got.Currency != c.currency || got.Tag != c.tag {
			t.Errorf("Resolve(%q) = %s %s %q, want %s %s", c.tag, got.Locale, got.Currency, got.Tag, c.locale, c.currency)
		}
	}
}

func TestResolveRefuses(t *testing.T) {
	for tag, reason := range map[string]string{
		"":                               "the tag is empty",
		"tlh":                            "CLDR 48.0.0 has no data for the language tlh",
		"xx":                             "xx is not a language or subtag BCP 47 knows",
		"en-ZZ":                          "ZZ is not a country or a region CLDR has data for",
		"und":                            "no language",
		"und-NL":                         "no language",
		"nl-NL-u-nu-arab":                "extensions (-u-, -t-, -x-) are not supported",
		"en-x-private":                   "extensions (-u-, -t-, -x-) are not supported",
		"not a tag":                      "not a BCP 47 tag",
		"nl--NL":                         "not a BCP 47 tag",
		strings.Repeat("nl-", 30) + "NL": "the tag is longer than 64 characters",
		"\xff\xfe":                       "not a BCP 47 tag",
		"en-US\x00":                      "not a BCP 47 tag",
		"root":                           "",
	} {
		_, err := Resolve(tag)
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("Resolve(%q) = %v, want a *culture.Error", tag, err)
			continue
		}
		if reason != "" && ce.Reason != reason {
			t.Errorf("Resolve(%q): %q, want %q", tag, ce.Reason, reason)
		}
		if !strings.Contains(err.Error(), "such as nl-NL or en-US") {
			t.Errorf("Resolve(%q): %q does not say what to write", tag, err)
		}
	}
}

func TestCurrencyData(t *testing.T) {
	for _, c := range []struct{ tag, code, symbol string }{
		{"nl", "EUR", "€"},
		{"nl", "USD", "US$"},
		{"en", "USD", "$"},
		{"en-CA", "USD", "US$"}, // a symbol that differs from the parent's (en-001, en)
		{"en-CA", "CAD", "$"},
		{"en-IN", "INR", "₹"},
		{"de-CH", "CHF", "CHF"},
		{"ja", "JPY", "￥"},
		{"da", "DKK", "kr."},
		{"nb", "NOK", "kr"},
		{"nl", "XYZ", "XYZ"}, // unknown: the code
	} {
		cu, err := Resolve(c.tag)
		if err != nil {
			t.Fatal(err)
		}
		if got := cu.CurrencySymbol(c.code); got != c.symbol {
			t.Errorf("%s: symbol of %s = %q, want %q", c.tag, c.code, got, c.symbol)
		}
	}
	for code, digits := range map[string]int{"EUR": 2, "JPY": 0, "KWD": 3, "CHF": 2, "ISK": 0, "XYZ": 2} {
		if got := CurrencyDigits(code); got != digits {
			t.Errorf("CurrencyDigits(%s) = %d, want %d", code, got, digits)
		}
	}
}

func TestNumbersAndNames(t *testing.T) {
	es, _ := Resolve("es-ES")
	if s := es.Numbers(); s.MinGrouping != 2 || s.Group != "." || s.Decimal != "," || s.Primary != 3 {
		t.Errorf("es: %+v", s)
	}
	fr, _ := Resolve("fr-CH")
	if s := fr.Numbers(); s.Group != "\u202f" || s.Decimal != "," || s.CurrencyDecimal != "." {
		t.Errorf("fr-CH: %+v", s)
	}
	hi, _ := Resolve("hi")
	if s := hi.Numbers(); s.Primary != 3 || s.Secondary != 2 {
		t.Errorf("hi: %+v", s)
	}
	ar, _ := Resolve("ar-EG")
	if s := ar.Numbers(); s.Digits == nil || s.Digits[1] != "١" {
		t.Errorf("ar-EG digits: %v", s.Digits)
	}
	ru, _ := Resolve("ru")
	if n := ru.Names(); n.Months[4] != "мая" || n.MonthsStandAlone[4] != "май" || n.Days[0] != "воскресенье" {
		t.Errorf("ru names: %q %q %q", n.Months[4], n.MonthsStandAlone[4], n.Days[0])
	}
	nl, _ := Resolve("nl-NL")
	if n := nl.Names(); n.MonthsAbbr[2] != "mrt" || n.AM != "a.m." {
		t.Errorf("nl names: %q %q", n.MonthsAbbr[2], n.AM)
	}
}

// The cache is bounded: a stream of distinct tags is resolved without growing it past maxCached.
func TestResolveCacheBounded(t *testing.T) {
	for i := range maxCached + 100 {
		Resolve("nl-" + strings.Repeat("x", i%50+1))
	}
	if n := cached.Load(); n > maxCached {
		t.Errorf("%d cached tags, the bound is %d", n, maxCached)
	}
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{"nl-NL", "zh-Hant-TW", "en-ZZ", "ca-ES-valencia", "x-a", "sr-Latn", "und-u-nu-arab"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		c, err := Resolve(tag)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Resolve(%q): %T %v", tag, err, err)
			}
			return
		}
		if find(c.Locale) < 0 {
			t.Fatalf("Resolve(%q) = locale %q that is not in the data", tag, c.Locale)
		}
		_ = c.Numbers()
		_ = c.Names()
		if c.Currency != "" {
			_ = c.CurrencySymbol(c.Currency)
		}
	})
}
