package rulesets

import (
	"math/big"

	"github.com/dop251/goja/ast"
)

// Rule code may not name these, wherever the name stands (a reference, a declaration, a parameter):
// direct eval would run text in the engine's generated scope, and BigInts are not Kubus numbers and
// make constant folding and arithmetic cost grow with their size ("2n**8000000000n" at load).
// A property name (x.eval, {eval: 1}) is harmless and allowed.
const (
	evalRefused   = "eval is not available in rule code"
	evalHint      = "write the code itself instead of building it as text"
	bigIntRefused = "BigInt is not available in rule code (Kubus numbers are doubles)"
	bigIntHint    = "use plain numbers"
	bigIntLitHint = "drop the n suffix: write 10, not 10n"
)

// refusedNames maps each refused identifier to its message and hint.
var refusedNames = map[string][2]string{
	"eval":           {evalRefused, evalHint},
	"BigInt":         {bigIntRefused, bigIntHint},
	"BigInt64Array":  {bigIntRefused, "use Float64Array or a plain array"},
	"BigUint64Array": {bigIntRefused, "use Float64Array or a plain array"},
}

// refuse records id when rule code may not name it.
func (s *scanner) refuse(id *ast.Identifier) {
	if _, bad := refusedNames[id.Name.String()]; bad {
		s.refused = append(s.refused, jsRef{name: id.Name.String(), off: int(id.Idx) - 1})
	}
}

// bigIntLiteral is the pseudo-name a refused BigInt literal (10n, 0x1fn) is recorded under.
const bigIntLiteral = "10n"

func (s *scanner) refuseLiteral(n *ast.NumberLiteral) {
	if _, big := n.Value.(*big.Int); big {
		s.refused = append(s.refused, jsRef{name: bigIntLiteral, off: int(n.Idx) - 1})
	}
}

// refusedErr reports a refused name or literal at its place in the snippet; shift is the length of
// the wrapper put before the snippet to parse it.
func refusedErr(r jsRef, shift int) *syntaxErr {
	if r.name == bigIntLiteral {
		return &syntaxErr{off: r.off - shift, msg: bigIntRefused, hint: bigIntLitHint}
	}
	m := refusedNames[r.name]
	return &syntaxErr{off: r.off - shift, msg: m[0], hint: m[1]}
}
