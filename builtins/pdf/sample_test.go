package pdf

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// euro formats cents the Dutch way: "€ 1.467,05".
func euro(cents int64) string {
	s := fmt.Sprint(cents / 100)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("€ %s,%02d", b.String(), cents%100)
}

func logoPNG(t testing.TB) []byte {
	m := image.NewNRGBA(image.Rect(0, 0, 96, 96))
	for y := range 96 {
		for x := range 96 {
			dx, dy := x-48, y-48
			if dx*dx+dy*dy < 44*44 {
				m.Set(x, y, color.NRGBA{0, 70, 140, 255})
			}
			if dx*dx+dy*dy < 24*24 {
				m.Set(x, y, color.NRGBA{255, 190, 0, 255})
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// offerLetter is a realistic two-page document: a letterhead, an address block in columns, a
// repayment table that runs across the page break, conditions, a QR code.
func offerLetter(t testing.TB) map[string]any {
	rows := []any{[]any{"Month", "Date", map[string]any{"text": "Interest", "alignment": "right"}, map[string]any{"text": "Repayment", "alignment": "right"}, map[string]any{"text": "Payment", "alignment": "right"}, map[string]any{"text": "Balance", "alignment": "right"}}}
	balance := int64(25_000_000)
	var totalInterest, totalRepay int64
	for m := 1; m <= 36; m++ {
		interest := balance * 375 / 120_000 // 3,75% a year, in cents
		payment := int64(146_705)
		repay := payment - interest
		balance -= repay
		totalInterest += interest
		totalRepay += repay
		right := func(c int64) any { return map[string]any{"text": euro(c), "alignment": "right"} }
		rows = append(rows, []any{fmt.Sprint(m), fmt.Sprintf("01-%02d-%d", (m-1)%12+1, 2025+(m-1)/12), right(interest), right(repay), right(payment), right(balance)})
	}
	bold := func(s string) any {
		return map[string]any{"text": s, "bold": true, "alignment": "right", "fillColor": "#eeeeee"}
	}
	rows = append(rows, []any{map[string]any{"text": "Total", "bold": true, "fillColor": "#eeeeee"}, map[string]any{"text": "", "fillColor": "#eeeeee"}, bold(euro(totalInterest)), bold(euro(totalRepay)), bold(euro(36 * 146_705)), map[string]any{"text": "", "fillColor": "#eeeeee"}})
	return map[string]any{
		"name":         "offer-2024-0042.pdf",
		"pageSize":     "A4",
		"pageMargins":  []any{50.0, 70.0, 50.0, 60.0},
		"info":         map[string]any{"title": "Mortgage offer 2024-0042", "author": "ACME Hypotheken B.V.", "subject": "Offer"},
		"images":       map[string]any{"logo": dataURL("png", logoPNG(t))},
		"defaultStyle": map[string]any{"fontSize": 10.0, "lineHeight": 1.15},
		"styles": map[string]any{
			"h1":    map[string]any{"fontSize": 18.0, "bold": true, "color": "#00468c", "marginBottom": 8.0},
			"h2":    map[string]any{"fontSize": 12.0, "bold": true, "marginTop": 14.0, "marginBottom": 6.0},
			"small": map[string]any{"fontSize": 8.0, "color": "#555555"},
		},
		"header": map[string]any{"text": "ACME Hypotheken B.V. · Keizersgracht 1 · 1015 CJ Amsterdam", "alignment": "right", "fontSize": 8.0},
		"footer": map[string]any{"text": "Offer 2024-0042 — page {page} of {pages}", "alignment": "center", "fontSize": 8.0},
		"content": []any{
			map[string]any{"columns": []any{
				map[string]any{"image": "logo", "width": 48.0},
				map[string]any{"stack": []any{
					map[string]any{"text": "ACME Hypotheken", "fontSize": 16.0, "bold": true, "color": "#00468c"},
					map[string]any{"text": "Mortgages since 1998", "style": "small"},
				}, "margin": []any{10.0, 8.0, 0.0, 0.0}},
				map[string]any{"stack": []any{"Mr. J. de Vrië", "Łódźstraat 12 bis", "1234 AB Zaandam"}, "width": 150.0, "margin": []any{0.0, 4.0, 0.0, 0.0}},
			}, "marginBottom": 24.0},
			map[string]any{"text": "Mortgage offer", "style": "h1"},
			map[string]any{"columns": []any{
				map[string]any{"text": []any{map[string]any{"text": "Offer number: ", "bold": true}, "2024-0042"}},
				map[string]any{"text": []any{map[string]any{"text": "Date: ", "bold": true}, "14 June 2024"}, "alignment": "right"},
			}, "marginBottom": 12.0},
			"Dear Mr. De Vrië,",
			map[string]any{"text": "We are pleased to offer you a mortgage loan of € 250.000,00 for the purchase of the property at Łódźstraat 12 bis in Zaandam. The loan is an annuity loan with a fixed interest rate of 3,75% for a period of ten years, after which the rate is set again. The monthly payment below covers both the interest and the repayment; your first payment is due on 1 January 2025. Please read the conditions carefully: the offer is valid until 31 July 2024 and becomes binding once we have received it signed.", "alignment": "justify", "margin": []any{0.0, 8.0, 0.0, 8.0}},
			map[string]any{"table": map[string]any{
				"widths": []any{"*", "auto"},
				"body": []any{
					[]any{"Loan amount", map[string]any{"text": "€ 250.000,00", "alignment": "right"}},
					[]any{"Interest rate (fixed 10 years)", map[string]any{"text": "3,75%", "alignment": "right"}},
					[]any{"Monthly payment", map[string]any{"text": euro(146_705), "alignment": "right", "bold": true}},
				},
			}, "layout": "lightHorizontalLines", "margin": []any{0.0, 4.0, 200.0, 0.0}},
			map[string]any{"text": "Repayment schedule (first three years)", "style": "h2"},
			map[string]any{"table": map[string]any{"headerRows": 1.0, "widths": []any{40.0, 70.0, "*", "*", "*", "*"}, "body": rows}},
			map[string]any{"text": "Conditions", "style": "h2"},
			map[string]any{"ol": []any{
				"The offer is valid until 31 July 2024.",
				"The property is insured against fire and storm for its rebuilding value (herbouwwaarde).",
				map[string]any{"text": []any{"An appraisal report of ", map[string]any{"text": "no more than six months old", "italics": true}, " is handed in before the deed is signed."}},
				"Early repayment of up to 10% of the loan a year is free of charge.",
			}},
			map[string]any{"columns": []any{
				map[string]any{"stack": []any{
					map[string]any{"text": "Kind regards,", "marginTop": 16.0},
					map[string]any{"text": "ACME Hypotheken B.V.", "bold": true, "marginTop": 24.0},
					map[string]any{"text": "Ms. Ø. Müller-Łęcka, advisor", "style": "small"},
				}},
				map[string]any{"stack": []any{
					map[string]any{"qr": "https://acme.example/offers/2024-0042", "fit": 72.0, "alignment": "right"},
					map[string]any{"text": "Sign online", "style": "small", "alignment": "right"},
				}, "width": 100.0, "marginTop": 16.0},
			}},
		},
	}
}

// TestSampleOfferLetter renders the offer letter and checks it; with KUBUS_PDF_SAMPLE=/tmp/pdf-sample
// it also writes /tmp/pdf-sample.pdf and its pages as /tmp/pdf-sample-1.png, -2.png to look at.
func TestSampleOfferLetter(t *testing.T) {
	b, n := render(t, offerLetter(t))
	if n != 2 {
		t.Fatalf("pages = %d, want 2", n)
	}
	qpdfCheck(t, b)
	pages := text(t, b)
	p1, p2 := squash(pages[0]), squash(pages[1])
	for _, want := range []string{"ACME Hypotheken B.V. · Keizersgracht 1", "Mortgage offer", "Mr. J. de Vrië", "Łódźstraat 12 bis",
		"Month Date Interest Repayment Payment Balance", "1 01-01-2025 € 781,25 € 685,80 € 1.467,05 € 249.314,20", "page 1 of 2"} {
		if !strings.Contains(p1, want) {
			t.Errorf("page 1 lacks %q:\n%s", want, pages[0])
		}
	}
	for _, want := range []string{"Month Date Interest Repayment Payment Balance", "36 01-12-2027", "Total", "€ 52.813,80", "Conditions",
		"1. The offer is valid until 31 July 2024.", "no more than six months old", "Ms. Ø. Müller-Łęcka, advisor", "page 2 of 2"} {
		if !strings.Contains(p2, want) {
			t.Errorf("page 2 lacks %q:\n%s", want, pages[1])
		}
	}
	if prefix := os.Getenv("KUBUS_PDF_SAMPLE"); prefix != "" {
		if err := os.WriteFile(prefix+".pdf", b, 0o644); err != nil {
			t.Fatal(err)
		}
		for p := 1; p <= n; p++ {
			if err := os.WriteFile(fmt.Sprintf("%s-%d.png", prefix, p), renderPageAt(t, b, p, 80), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("wrote %s.pdf and %d pages as PNG in %s", prefix, n, filepath.Dir(prefix))
	}
}
