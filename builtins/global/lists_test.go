package global

import (
	"math"
	"testing"

	"github.com/kubusdev/kubus/builtins"
)

func TestMINMAXSUMAVG(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	runCases(t, vm, []jsCase{
		{"MIN(3, 1, 2)", 1},
		{"MIN([3, 1, 2])", 1},
		{"MIN(5)", 5},
		{"MIN([5])", 5},
		{"MIN(-1.5, -1.25)", -1.5},
		{"Object.is(MIN(0, -0), -0)", true}, // as Math.min
		{"Number.isNaN(MIN(1, NaN, 0))", true},
		{"MIN(1, -Infinity)", math.Inf(-1)},
		{"MAX(3, 1, 2)", 3},
		{"MAX([3, 1, 2])", 3},
		{"MAX([-3, -1, -2])", -1},
		{"Object.is(MAX(-0, 0), 0)", true},
		{"Number.isNaN(MAX([NaN, 1]))", true},
		{"MAX(1, Infinity)", math.Inf(1)},

		{"SUM()", 0},
		{"SUM([])", 0},
		{"SUM(1, 2, 3)", 6},
		{"SUM([1, 2, 3])", 6},
		{"SUM([0.1, 0.2, 0.3])", 0.6},
		{"SUM(0.1, 0.2)", 0.30000000000000004}, // the correctly rounded sum, as 0.1 + 0.2
		{"SUM([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])", 1},
		{"SUM(1e100, 1, -1e100)", 1}, // compensated
		{"SUM(Infinity, 1)", math.Inf(1)},
		{"Number.isNaN(SUM(Infinity, -Infinity))", true},
		{"Number.isNaN(SUM(1, NaN))", true},
		{"SUM(1.7976931348623157e308, 1.7976931348623157e308)", math.Inf(1)},

		{"AVG(1, 2, 3, 4)", 2.5},
		{"AVG([1, 2, 3, 4])", 2.5},
		{"AVG([7])", 7},
		{"AVG(0.1, 0.2, 0.3)", 0.19999999999999998},
		{"AVG(Array.from({length: 10}, () => 0.1))", 0.1},
		{"Number.isNaN(AVG(NaN))", true},
	})
}

func TestMINMAXSUMAVGWrongArguments(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	var cases []jsCase
	for _, fn := range []string{"MIN", "MAX", "SUM", "AVG"} {
		cases = append(cases,
			jsCase{fn + "(1, '2')", `TypeError: ` + fn + `: argument 2 must be a number, got "2"`},
			jsCase{fn + "(1, 2, null)", "TypeError: " + fn + ": argument 3 must be a number, got null"},
			jsCase{fn + "(undefined, 1)", "TypeError: " + fn + ": argument 1 must be a number, got undefined"},
			jsCase{fn + "([1, 2], [3])", "TypeError: " + fn + ": argument 1 must be a number, got an array"},
			jsCase{fn + "('5')", `TypeError: ` + fn + `: argument 1 must be a number or an array of numbers, got "5"`},
			jsCase{fn + "({})", "TypeError: " + fn + ": argument 1 must be a number or an array of numbers, got an object"},
			jsCase{fn + "(null)", "TypeError: " + fn + ": argument 1 must be a number or an array of numbers, got null"},
			jsCase{fn + "([1, '2', 3])", `TypeError: ` + fn + `: values[1] must be a number, got "2"`},
			jsCase{fn + "([1, [2]])", "TypeError: " + fn + ": values[1] must be a number, got an array"},
			jsCase{fn + "([1, , 3])", "TypeError: " + fn + ": values[1] must be a number, got undefined"},
			jsCase{fn + "([new Number(1)])", "TypeError: " + fn + ": values[0] must be a number, got a Number object"},
			jsCase{fn + "([1n])", "TypeError: " + fn + ": values[0] must be a number, got a bigint"},
		)
	}
	for _, fn := range []string{"MIN", "MAX", "AVG"} {
		cases = append(cases,
			jsCase{fn + "()", "RangeError: " + fn + ": no values (pass numbers or a non-empty array)"},
			jsCase{fn + "([])", "RangeError: " + fn + ": no values (pass numbers or a non-empty array)"},
		)
	}
	runCases(t, vm, cases)
}

func TestISEMPTY(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	runCases(t, vm, []jsCase{
		{"ISEMPTY(null)", true},
		{"ISEMPTY(undefined)", true},
		{"ISEMPTY()", true},
		{"ISEMPTY('')", true},
		{"ISEMPTY([])", true},
		{"ISEMPTY({})", true},
		{"ISEMPTY(Object.create(null))", true},
		{"ISEMPTY(Object.defineProperty({}, 'hidden', {value: 1}))", true}, // no enumerable key
		{"ISEMPTY(Object.create({inherited: 1}))", false},                  // not a plain object
		{"ISEMPTY(0)", false},
		{"ISEMPTY(false)", false},
		{"ISEMPTY(NaN)", false},
		{"ISEMPTY(' ')", false},
		{"ISEMPTY('0')", false},
		{"ISEMPTY([0])", false},
		{"ISEMPTY([undefined])", false},
		{"ISEMPTY(new Array(3))", false}, // length 3, holes
		{"ISEMPTY({a: undefined})", false},
		{"ISEMPTY(new Date(0))", false},
		{"ISEMPTY(() => 1)", false},
		{"ISEMPTY(new Map())", false},
		{"ISEMPTY(Symbol('s'))", false},
		{"ISEMPTY(1n)", false},
		{"ISEMPTY(new String(''))", false},
		{"ISEMPTY([].slice())", true},
		{"ISEMPTY(new Set())", false},
		{"ISEMPTY(new (class Person {})())", false},
		{"ISEMPTY(new Proxy({}, {}))", false},
		{"ISEMPTY(/x/)", false},
		{"ISEMPTY(new Error(''))", false},
		{"ISEMPTY(new Uint8Array(0))", false},
	})
}

func TestCOALESCE(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	runCases(t, vm, []jsCase{
		{"COALESCE(null, undefined, 0, 5)", 0},
		{"COALESCE(undefined, false)", false},
		{"COALESCE(null, '')", ""},
		{"COALESCE(null, 'a', 'b')", "a"},
		{"COALESCE(1)", 1},
		{"COALESCE() === null", true},
		{"COALESCE(null, undefined) === null", true},
		{"(() => { const o = {}; return COALESCE(null, o) === o })()", true}, // the value itself
		{"Number.isNaN(COALESCE(undefined, NaN))", true},
	})
}
