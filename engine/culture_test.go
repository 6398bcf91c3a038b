package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kubusdev/kubus/engine"
)

// The execution culture follows the same rule as the ruleset's: a tag CLDR has no data for is an
// *InputError before anything runs; a known one is used by NUM, CUR and Date.format.
func TestExecutionCulture(t *testing.T) {
	rs := load(t, engine.New(), `
name: cultures
culture: nl-NL
rules:
  Price: "CUR(-1234.5)"
  Month: "new Date('2024-05-05T12:00:00Z').format('d MMMM')"
`, nil)
	for _, c := range []struct{ culture, price, month string }{
		{"", "€\u00a0-1.234,50", "5 mei"},
		{"de-CH", "CHF-1'234.50", "5 Mai"},
		{"fr-CH", "-1\u202f234.50\u00a0CHF", "5 mai"},
		{"pl-PL", "-1234,50\u00a0zł", "5 maja"},
		{"ja-JP", "-￥1,235", "5 5月"},
	} {
		res, err := rs.Execute(context.Background(), nil, engine.ExecOptions{Culture: c.culture})
		if err != nil {
			t.Fatalf("%s: %v", c.culture, err)
		}
		if res.Output["Price"] != c.price || res.Output["Month"] != c.month {
			t.Errorf("%s: Price %q Month %q, want %q %q", c.culture, res.Output["Price"], res.Output["Month"], c.price, c.month)
		}
	}
	for _, tag := range []string{"tlh", "en-ZZ", "nl-NL-u-nu-arab", "not a tag"} {
		_, err := rs.Execute(context.Background(), nil, engine.ExecOptions{Culture: tag})
		var ie *engine.InputError
		if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Path != "culture" {
			t.Errorf("culture %q: want an *InputError at culture, got %v", tag, err)
		}
	}
}
