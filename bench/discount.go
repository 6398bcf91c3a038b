package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/dop251/goja"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/google/cel-go/cel"
	"github.com/hyperjumptech/grule-rule-engine/ast"
	"github.com/hyperjumptech/grule-rule-engine/builder"
	grule "github.com/hyperjumptech/grule-rule-engine/engine"
	"github.com/hyperjumptech/grule-rule-engine/pkg"
	"github.com/kubusdev/kubus/engine"
)

// The one-rule decision: input {"Age": number, "Total": number, "Member": bool}, output Discount.
// Every engine below computes exactly this formula.
const discountFormula = "(Member && Total >= 100) ? (Age >= 65 ? 0.15 : 0.10) : (Age >= 65 ? 0.05 : 0)"

// A Discounter decides the discount for one input. None is safe for concurrent use: each keeps
// one runtime or VM, as a single-goroutine user of that engine would.
type Discounter interface {
	Discount(in map[string]any) (float64, error)
}

// Now is the execution clock of every Kubus execution here, so that runs are deterministic. It is
// the engine package's own benchmark clock.
var Now = time.Date(2024, 5, 17, 10, 30, 0, 0, time.UTC)

// KubusDiscount runs testdata/discount through the engine's public API.
type KubusDiscount struct{ rs *engine.Ruleset }

func NewKubusDiscount(dir string) (*KubusDiscount, error) {
	rs, err := engine.New().Load(dir)
	if err != nil {
		return nil, err
	}
	return &KubusDiscount{rs}, nil
}

func (k *KubusDiscount) Discount(in map[string]any) (float64, error) {
	res, err := k.rs.Execute(context.Background(), in, engine.ExecOptions{Now: Now})
	if err != nil {
		return 0, err
	}
	d, ok := res.Output["Discount"].(float64)
	if !ok {
		return 0, fmt.Errorf("kubus: Discount is %T", res.Output["Discount"])
	}
	return d, nil
}

// GojaDiscount is the formula as a JS function on one reused goja runtime. The Go map is handed
// over as is: vm.ToValue wraps a map[string]any without copying it (goja's objectGoMapSimple), and
// the function reads its properties where the formula needs them. That was the cheapest way in
// with a map (see README.md): destructuring it first, building a goja object with three Sets, or
// vm.Set + RunProgram of a bare expression all cost more.
type GojaDiscount struct {
	vm *goja.Runtime
	fn goja.Callable
}

func NewGojaDiscount() (*GojaDiscount, error) {
	src := "(function (input) { return (input.Member && input.Total >= 100) ? " +
		"(input.Age >= 65 ? 0.15 : 0.10) : (input.Age >= 65 ? 0.05 : 0); })"
	prg, err := goja.Compile("discount.js", src, true)
	if err != nil {
		return nil, err
	}
	vm := goja.New()
	v, err := vm.RunProgram(prg)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(v)
	if !ok {
		return nil, fmt.Errorf("goja: discount.js is not a function")
	}
	return &GojaDiscount{vm, fn}, nil
}

func (g *GojaDiscount) Discount(in map[string]any) (float64, error) {
	v, err := g.fn(goja.Undefined(), g.vm.ToValue(in))
	if err != nil {
		return 0, err
	}
	return v.ToFloat(), nil
}

// ExprDiscount is the formula compiled once by expr-lang/expr for a map environment. expr.Run
// would allocate a VM per call; expr's documentation suggests reusing one, so we do.
type ExprDiscount struct {
	prg *vm.Program
	vm  vm.VM
}

func NewExprDiscount() (*ExprDiscount, error) {
	env := map[string]any{"Age": 0.0, "Total": 0.0, "Member": false} // the types, for the checker
	prg, err := expr.Compile(discountFormula, expr.Env(env), expr.AsFloat64())
	if err != nil {
		return nil, err
	}
	return &ExprDiscount{prg: prg}, nil
}

func (e *ExprDiscount) Discount(in map[string]any) (float64, error) {
	out, err := e.vm.Run(e.prg, in)
	if err != nil {
		return 0, err
	}
	return out.(float64), nil
}

// CelDiscount is the formula as a CEL program, type-checked and planned once. CEL does not compare
// a double with an int literal, so the literals are written as doubles (100.0); the map is the
// activation.
type CelDiscount struct{ prg cel.Program }

func NewCelDiscount() (*CelDiscount, error) {
	env, err := cel.NewEnv(
		cel.Variable("Age", cel.DoubleType),
		cel.Variable("Total", cel.DoubleType),
		cel.Variable("Member", cel.BoolType),
	)
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile("(Member && Total >= 100.0) ? (Age >= 65.0 ? 0.15 : 0.10) : (Age >= 65.0 ? 0.05 : 0.0)")
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, err
	}
	return &CelDiscount{prg}, nil
}

func (c *CelDiscount) Discount(in map[string]any) (float64, error) {
	out, _, err := c.prg.Eval(in)
	if err != nil {
		return 0, err
	}
	d, ok := out.Value().(float64)
	if !ok {
		return 0, fmt.Errorf("cel: result is %T", out.Value())
	}
	return d, nil
}

// DiscountFact is grule's view of the input: grule reads and writes struct fields.
type DiscountFact struct {
	Age, Total float64
	Member     bool
	Discount   float64
}

// GRL has no conditional expression: the formula is four mutually exclusive rules, each retracting
// itself when it fires so that the next cycle finds nothing to do.
const discountGRL = `
rule MemberSenior "member, 100 or more, 65 or older" {
	when D.Member && D.Total >= 100 && D.Age >= 65
	then D.Discount = 0.15; Retract("MemberSenior");
}
rule Member "member, 100 or more, under 65" {
	when D.Member && D.Total >= 100 && D.Age < 65
	then D.Discount = 0.10; Retract("Member");
}
rule Senior "not a member with 100 or more, 65 or older" {
	when !(D.Member && D.Total >= 100) && D.Age >= 65
	then D.Discount = 0.05; Retract("Senior");
}
rule None "not a member with 100 or more, under 65" {
	when !(D.Member && D.Total >= 100) && D.Age < 65
	then D.Discount = 0.0; Retract("None");
}
`

// GruleDiscount builds the knowledge base once and reuses one instance and one engine: Execute
// resets the instance's working memory and retractions itself. Grule needs a fresh data context
// per decision, and a fact of its own (it writes Discount into it).
type GruleDiscount struct {
	kb  *ast.KnowledgeBase
	eng *grule.GruleEngine
}

func NewGruleDiscount() (*GruleDiscount, error) {
	lib := ast.NewKnowledgeLibrary()
	if err := builder.NewRuleBuilder(lib).BuildRuleFromResource("discount", "1.0.0", pkg.NewBytesResource([]byte(discountGRL))); err != nil {
		return nil, err
	}
	kb, err := lib.NewKnowledgeBaseInstance("discount", "1.0.0")
	if err != nil {
		return nil, err
	}
	return &GruleDiscount{kb: kb, eng: grule.NewGruleEngine()}, nil
}

func (g *GruleDiscount) Discount(in map[string]any) (float64, error) {
	fact := &DiscountFact{}
	var ok1, ok2, ok3 bool
	fact.Age, ok1 = in["Age"].(float64)
	fact.Total, ok2 = in["Total"].(float64)
	fact.Member, ok3 = in["Member"].(bool)
	if !ok1 || !ok2 || !ok3 {
		return 0, fmt.Errorf("grule: input %v does not fit the fact", in)
	}
	dctx := ast.NewDataContext()
	if err := dctx.Add("D", fact); err != nil {
		return 0, err
	}
	if err := g.eng.Execute(dctx, g.kb); err != nil {
		return 0, err
	}
	return fact.Discount, nil
}
