package rulesets

import "testing"

// A mismatch between strings that differ only in an invisible character shows the character.
func TestMismatchShowsInvisibleCharacters(t *testing.T) {
	m := Mismatch{Path: "output.Price", Expected: "€ 3,99", Actual: "€\u00a03,99"}
	if got, want := m.String(), `output.Price: expected "€ 3,99", got "€\u00a03,99"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	m = Mismatch{Path: "output.Name", Expected: "a\u200fb", Actual: "1\u202f234"}
	if got, want := m.String(), `output.Name: expected "a\u200fb", got "1\u202f234"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
