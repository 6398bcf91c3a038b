package rulesets

import (
	"reflect"
	"testing"
)

func TestFreeUses(t *testing.T) {
	cases := []struct {
		body string
		want []Use
	}{
		{"return (A + B\n);", []Use{{Name: "A", Offset: 8}, {Name: "B", Offset: 12}}},
		{"const A = 1; return A + B;", []Use{{Name: "B", Offset: 24}}},
		{"return {A, b: A};", []Use{{Name: "A", Offset: 8, Shorthand: true}, {Name: "A", Offset: 14}}},
		{"A = 1; A++; --A; for (A of x) {}", []Use{{Name: "A", Offset: 0, Target: true}, {Name: "A", Offset: 7, Target: true}, {Name: "A", Offset: 14, Target: true}, {Name: "A", Offset: 22, Target: true}, {Name: "x", Offset: 27}}},
		{"return xs.map((A) => A + B.A);", []Use{{Name: "xs", Offset: 7}, {Name: "B", Offset: 25}}},
		{"function f() { return A; } var A; return f();", nil},
		{"return `${A}`;", []Use{{Name: "A", Offset: 10}}},
	}
	for _, c := range cases {
		got, err := FreeUses(c.body)
		if err != nil {
			t.Fatalf("%q: %v", c.body, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.body, got, c.want)
		}
	}
}
