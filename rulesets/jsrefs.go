package rulesets

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
	"github.com/dop251/goja/token"
)

// The free-name analysis: which names a snippet uses without declaring them. Scopes follow JavaScript
// (function scopes for var, block scopes for let/const/class), and names are resolved after the whole
// snippet is walked, so hoisted declarations count wherever they stand.

// jsScope is one scope of the snippet. Names are resolved after the whole snippet is walked, so hoisted
// declarations (var, function) count wherever they stand.
type jsScope struct {
	parent *jsScope
	names  map[string]bool
	fn     bool // a function scope: var declarations land here
}

func (sc *jsScope) declare(name string) {
	if sc.names == nil {
		sc.names = map[string]bool{}
	}
	sc.names[name] = true
}

func (sc *jsScope) resolves(name string) bool {
	for s := sc; s != nil; s = s.parent {
		if s.names[name] {
			return true
		}
	}
	return false
}

func (sc *jsScope) function() *jsScope {
	s := sc
	for !s.fn && s.parent != nil {
		s = s.parent
	}
	return s
}

type useSite struct {
	name  string
	off   int // offset in the wrapped text
	scope *jsScope
	kind  useKind
}

// useKind says how a name is used, for code that rewrites references.
type useKind uint8

const (
	useRead      useKind = iota
	useShorthand         // {X} in an object literal: X is read, and X is also the key
	useTarget            // X = ..., X++, for (X of ...): X is written
)

// scanner walks a goja AST collecting identifier uses and declarations.
type scanner struct {
	cur     *jsScope
	uses    []useSite
	refused []jsRef // names and literals rule code may not contain (refused.go), wherever they stand
}

// freeNames runs walk in a fresh top-level scope and returns the names used but not declared, deduplicated,
// in order of first use. The top level is a function scope because the engine runs every snippet as a
// function body, where `arguments` exists.
func freeNames(walk func(*scanner)) (refs, refused []jsRef) {
	root := &jsScope{fn: true}
	root.declare("arguments")
	s := &scanner{cur: root}
	walk(s)
	refused = s.refused
	first := map[string]int{}
	var out []jsRef
	for _, u := range s.uses {
		if u.scope.resolves(u.name) {
			continue
		}
		if i, seen := first[u.name]; seen {
			out[i].off = min(out[i].off, u.off)
			continue
		}
		first[u.name] = len(out)
		out = append(out, jsRef{name: u.name, off: u.off})
	}
	// The walk mostly follows the source, but "first use" means first in the text.
	slices.SortStableFunc(out, func(a, b jsRef) int { return cmp.Compare(a.off, b.off) })
	slices.SortStableFunc(refused, func(a, b jsRef) int { return cmp.Compare(a.off, b.off) })
	return out, refused
}

func (s *scanner) use(id *ast.Identifier) { s.useAs(id, useRead) }

func (s *scanner) useAs(id *ast.Identifier, kind useKind) {
	if id == nil || id.Name == "" {
		return
	}
	s.refuse(id)
	s.uses = append(s.uses, useSite{name: id.Name.String(), off: int(id.Idx) - 1, scope: s.cur, kind: kind})
}

func (s *scanner) push(fn bool) *jsScope {
	s.cur = &jsScope{parent: s.cur, fn: fn}
	return s.cur
}

func (s *scanner) pop() { s.cur = s.cur.parent }

func (s *scanner) exprs(list []ast.Expression) {
	for _, e := range list {
		s.expr(e)
	}
}

func (s *scanner) expr(e ast.Expression) {
	switch e := e.(type) {
	case nil:
	case *ast.Identifier:
		s.use(e)
	case *ast.NumberLiteral:
		s.refuseLiteral(e)
	case *ast.PrivateIdentifier, *ast.BadExpression, *ast.BooleanLiteral, *ast.NullLiteral,
		*ast.StringLiteral, *ast.RegExpLiteral, *ast.ThisExpression,
		*ast.SuperExpression, *ast.MetaProperty:
		// No names.
	case *ast.ArrayLiteral:
		s.exprs(e.Value)
	case *ast.ArrayPattern, *ast.ObjectPattern:
		s.target(e, nil)
	case *ast.AssignExpression:
		s.target(e.Left, nil)
		s.expr(e.Right)
	case *ast.AwaitExpression:
		s.expr(e.Argument)
	case *ast.YieldExpression:
		s.expr(e.Argument)
	case *ast.BinaryExpression:
		s.expr(e.Left)
		s.expr(e.Right)
	case *ast.BracketExpression:
		s.expr(e.Left)
		s.expr(e.Member)
	case *ast.CallExpression:
		s.expr(e.Callee)
		s.exprs(e.ArgumentList)
	case *ast.NewExpression:
		s.expr(e.Callee)
		s.exprs(e.ArgumentList)
	case *ast.ConditionalExpression:
		s.expr(e.Test)
		s.expr(e.Consequent)
		s.expr(e.Alternate)
	case *ast.DotExpression:
		s.expr(e.Left) // the name after the dot is a property, not a reference
	case *ast.PrivateDotExpression:
		s.expr(e.Left)
	case *ast.OptionalChain:
		s.expr(e.Expression)
	case *ast.Optional:
		s.expr(e.Expression)
	case *ast.SpreadElement:
		s.expr(e.Expression)
	case *ast.FunctionLiteral:
		s.function(e, true)
	case *ast.ArrowFunctionLiteral:
		s.arrow(e)
	case *ast.ClassLiteral:
		s.class(e)
	case *ast.ObjectLiteral:
		for _, p := range e.Value {
			s.property(p)
		}
	case *ast.PropertyShort, *ast.PropertyKeyed:
		s.property(e.(ast.Property))
	case *ast.SequenceExpression:
		s.exprs(e.Sequence)
	case *ast.TemplateLiteral:
		s.expr(e.Tag)
		s.exprs(e.Expressions)
	case *ast.UnaryExpression:
		if id, ok := e.Operand.(*ast.Identifier); ok && (e.Operator == token.INCREMENT || e.Operator == token.DECREMENT) {
			s.useAs(id, useTarget)
			break
		}
		s.expr(e.Operand)
	case *ast.Binding:
		s.target(e.Target, nil)
		s.expr(e.Initializer)
	default:
		s.unknown(e)
	}
}

// property walks one property of an object literal: keys are not references unless computed, but the
// shorthand {X} is.
func (s *scanner) property(p ast.Property) {
	switch p := p.(type) {
	case *ast.PropertyShort:
		s.useAs(&p.Name, useShorthand)
		s.expr(p.Initializer)
	case *ast.PropertyKeyed:
		if p.Computed {
			s.expr(p.Key)
		}
		s.expr(p.Value)
	case *ast.SpreadElement:
		s.expr(p.Expression)
	default:
		s.unknown(p)
	}
}

// target walks a binding or assignment target. With decl set, the names it binds are declared there;
// without, it is an assignment and its names are references.
func (s *scanner) target(e ast.Expression, decl *jsScope) {
	switch e := e.(type) {
	case nil:
	case *ast.Identifier:
		if decl != nil {
			s.refuse(e)
			decl.declare(e.Name.String())
		} else {
			s.useAs(e, useTarget)
		}
	case *ast.ArrayPattern:
		for _, el := range e.Elements {
			s.target(el, decl)
		}
		s.target(e.Rest, decl)
	case *ast.ObjectPattern:
		for _, p := range e.Properties {
			switch p := p.(type) {
			case *ast.PropertyShort:
				s.target(&p.Name, decl)
				s.expr(p.Initializer)
			case *ast.PropertyKeyed:
				if p.Computed {
					s.expr(p.Key)
				}
				s.target(p.Value, decl)
			case *ast.SpreadElement:
				s.target(p.Expression, decl)
			default:
				s.unknown(p)
			}
		}
		s.target(e.Rest, decl)
	case *ast.AssignExpression: // a default value: [a = 1] or {a: b = 1}
		s.target(e.Left, decl)
		s.expr(e.Right)
	case *ast.Binding:
		s.target(e.Target, decl)
		s.expr(e.Initializer)
	case *ast.SpreadElement:
		s.target(e.Expression, decl)
	default:
		// a.b = ..., a[b] = ...: an expression in assignment position.
		s.expr(e)
	}
}

func (s *scanner) bindings(list []*ast.Binding, decl *jsScope) {
	for _, b := range list {
		if b == nil {
			continue
		}
		s.target(b.Target, decl)
		s.expr(b.Initializer)
	}
}

func (s *scanner) params(pl *ast.ParameterList, decl *jsScope) {
	if pl == nil {
		return
	}
	s.bindings(pl.List, decl)
	s.target(pl.Rest, decl)
}

// function walks a function literal in its own scope. ownName binds a function expression's name inside
// it; a declaration's name is bound by the enclosing scope instead, and a method's name not at all.
func (s *scanner) function(fl *ast.FunctionLiteral, ownName bool) {
	if fl == nil {
		return
	}
	sc := s.push(true)
	sc.declare("arguments")
	if fl.Name != nil {
		s.refuse(fl.Name)
	}
	if ownName && fl.Name != nil {
		sc.declare(fl.Name.Name.String())
	}
	s.params(fl.ParameterList, sc)
	if fl.Body != nil {
		s.stmts(fl.Body.List)
	}
	s.pop()
}

// functionBody walks the wrapper function of a statement body: its statements are the snippet's top level.
func (s *scanner) functionBody(fl *ast.FunctionLiteral) {
	s.stmts(fl.Body.List)
}

func (s *scanner) arrow(af *ast.ArrowFunctionLiteral) {
	sc := s.push(true)
	s.params(af.ParameterList, sc)
	switch b := af.Body.(type) {
	case *ast.BlockStatement:
		s.stmts(b.List)
	case *ast.ExpressionBody:
		s.expr(b.Expression)
	case nil:
	default:
		s.unknown(b)
	}
	s.pop()
}

// class walks a class. A declaration's name is bound in the enclosing scope (done by the caller); every
// class also binds its name inside itself.
func (s *scanner) class(cl *ast.ClassLiteral) {
	if cl == nil {
		return
	}
	s.expr(cl.SuperClass)
	sc := s.push(false)
	if cl.Name != nil {
		s.refuse(cl.Name)
		sc.declare(cl.Name.Name.String())
	}
	for _, el := range cl.Body {
		switch el := el.(type) {
		case *ast.FieldDefinition:
			if el.Computed {
				s.expr(el.Key)
			}
			s.push(true)
			s.expr(el.Initializer)
			s.pop()
		case *ast.MethodDefinition:
			if el.Computed {
				s.expr(el.Key)
			}
			s.function(el.Body, false)
		case *ast.ClassStaticBlock:
			s.push(true)
			if el.Block != nil {
				s.stmts(el.Block.List)
			}
			s.pop()
		case nil:
		default:
			s.unknown(el)
		}
	}
	s.pop()
}

func (s *scanner) stmts(list []ast.Statement) {
	for _, st := range list {
		s.stmt(st)
	}
}

func (s *scanner) stmt(st ast.Statement) {
	switch st := st.(type) {
	case nil:
	case *ast.BadStatement, *ast.BranchStatement, *ast.DebuggerStatement, *ast.EmptyStatement:
		// No names (a branch's label is not a reference).
	case *ast.BlockStatement:
		if st == nil {
			return
		}
		s.push(false)
		s.stmts(st.List)
		s.pop()
	case *ast.CaseStatement:
		if st == nil {
			return
		}
		s.expr(st.Test)
		s.stmts(st.Consequent)
	case *ast.DoWhileStatement:
		s.stmt(st.Body)
		s.expr(st.Test)
	case *ast.ExpressionStatement:
		s.expr(st.Expression)
	case *ast.ForInStatement:
		s.push(false)
		s.forInto(st.Into)
		s.expr(st.Source)
		s.stmt(st.Body)
		s.pop()
	case *ast.ForOfStatement:
		s.push(false)
		s.forInto(st.Into)
		s.expr(st.Source)
		s.stmt(st.Body)
		s.pop()
	case *ast.ForStatement:
		s.push(false)
		switch in := st.Initializer.(type) {
		case nil:
		case *ast.ForLoopInitializerExpression:
			s.expr(in.Expression)
		case *ast.ForLoopInitializerVarDeclList:
			s.bindings(in.List, s.cur.function())
		case *ast.ForLoopInitializerLexicalDecl:
			s.bindings(in.LexicalDeclaration.List, s.cur)
		default:
			s.unknown(in)
		}
		s.expr(st.Test)
		s.expr(st.Update)
		s.stmt(st.Body)
		s.pop()
	case *ast.IfStatement:
		s.expr(st.Test)
		s.stmt(st.Consequent)
		s.stmt(st.Alternate)
	case *ast.LabelledStatement:
		s.stmt(st.Statement)
	case *ast.ReturnStatement:
		s.expr(st.Argument)
	case *ast.SwitchStatement:
		s.expr(st.Discriminant)
		s.push(false)
		for _, c := range st.Body {
			s.stmt(c)
		}
		s.pop()
	case *ast.ThrowStatement:
		s.expr(st.Argument)
	case *ast.TryStatement:
		if st.Body != nil {
			s.stmt(st.Body)
		}
		if st.Catch != nil {
			s.stmt(st.Catch)
		}
		if st.Finally != nil {
			s.stmt(st.Finally)
		}
	case *ast.CatchStatement:
		if st == nil {
			return
		}
		sc := s.push(false)
		s.target(st.Parameter, sc)
		if st.Body != nil {
			s.stmts(st.Body.List)
		}
		s.pop()
	case *ast.VariableStatement:
		s.bindings(st.List, s.cur.function())
	case *ast.LexicalDeclaration:
		s.bindings(st.List, s.cur)
	case *ast.WhileStatement:
		s.expr(st.Test)
		s.stmt(st.Body)
	case *ast.WithStatement:
		s.expr(st.Object)
		s.stmt(st.Body)
	case *ast.FunctionDeclaration:
		if st.Function != nil && st.Function.Name != nil {
			// Block-level functions are also visible function-wide in sloppy mode; count both.
			name := st.Function.Name.Name.String()
			s.cur.declare(name)
			s.cur.function().declare(name)
		}
		s.function(st.Function, false)
	case *ast.ClassDeclaration:
		if st.Class != nil && st.Class.Name != nil {
			s.cur.declare(st.Class.Name.Name.String())
		}
		s.class(st.Class)
	default:
		s.unknown(st)
	}
}

func (s *scanner) forInto(in ast.ForInto) {
	switch in := in.(type) {
	case nil:
	case *ast.ForIntoVar:
		if in.Binding != nil {
			s.target(in.Binding.Target, s.cur.function())
			s.expr(in.Binding.Initializer)
		}
	case *ast.ForDeclaration:
		s.target(in.Target, s.cur)
	case *ast.ForIntoExpression:
		s.target(in.Expression, nil)
	default:
		s.unknown(in)
	}
}

var (
	expressionType = reflect.TypeFor[ast.Expression]()
	statementType  = reflect.TypeFor[ast.Statement]()
	nodeType       = reflect.TypeFor[ast.Node]()
)

// unknown walks a node type this scanner does not know (a newer goja may add some) by reflection over its
// fields, so names inside it are still found; identifiers are taken as references.
func (s *scanner) unknown(n any) {
	s.reflectWalk(reflect.ValueOf(n), 0)
}

func (s *scanner) reflectWalk(v reflect.Value, depth int) {
	if depth > 8 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		s.reflectWalk(v.Elem(), depth)
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type().Implements(expressionType) {
			if _, known := s.knownExpr(v.Interface()); known {
				s.expr(v.Interface().(ast.Expression))
				return
			}
		}
		if v.Type().Implements(statementType) {
			if _, known := s.knownStmt(v.Interface()); known {
				s.stmt(v.Interface().(ast.Statement))
				return
			}
		}
		if v.Elem().Kind() == reflect.Struct {
			s.reflectWalk(v.Elem(), depth+1)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			f := v.Field(i)
			if f.Kind() == reflect.Struct && f.CanAddr() && f.Addr().Type().Implements(nodeType) {
				f = f.Addr()
			}
			s.reflectWalk(f, depth+1)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			s.reflectWalk(v.Index(i), depth+1)
		}
	}
}

// knownExpr reports whether expr handles e itself (so the reflective walk can hand it back).
func (s *scanner) knownExpr(e any) (ast.Expression, bool) {
	switch e.(type) {
	case *ast.Identifier, *ast.PrivateIdentifier, *ast.BadExpression, *ast.BooleanLiteral, *ast.NullLiteral,
		*ast.NumberLiteral, *ast.StringLiteral, *ast.RegExpLiteral, *ast.ThisExpression,
		*ast.SuperExpression, *ast.MetaProperty, *ast.ArrayLiteral,
		*ast.ArrayPattern, *ast.ObjectPattern, *ast.AssignExpression, *ast.AwaitExpression,
		*ast.YieldExpression, *ast.BinaryExpression, *ast.BracketExpression, *ast.CallExpression,
		*ast.NewExpression, *ast.ConditionalExpression, *ast.DotExpression, *ast.PrivateDotExpression,
		*ast.OptionalChain, *ast.Optional, *ast.SpreadElement, *ast.FunctionLiteral,
		*ast.ArrowFunctionLiteral, *ast.ClassLiteral, *ast.ObjectLiteral, *ast.PropertyShort,
		*ast.PropertyKeyed, *ast.SequenceExpression, *ast.TemplateLiteral, *ast.UnaryExpression,
		*ast.Binding:
		return e.(ast.Expression), true
	}
	return nil, false
}

// knownStmt reports whether stmt handles st itself.
func (s *scanner) knownStmt(st any) (ast.Statement, bool) {
	switch st.(type) {
	case *ast.BadStatement, *ast.BranchStatement, *ast.DebuggerStatement, *ast.EmptyStatement,
		*ast.BlockStatement, *ast.CaseStatement, *ast.DoWhileStatement, *ast.ExpressionStatement,
		*ast.ForInStatement, *ast.ForOfStatement, *ast.ForStatement, *ast.IfStatement,
		*ast.LabelledStatement, *ast.ReturnStatement, *ast.SwitchStatement, *ast.ThrowStatement,
		*ast.TryStatement, *ast.CatchStatement, *ast.VariableStatement, *ast.LexicalDeclaration,
		*ast.WhileStatement, *ast.WithStatement, *ast.FunctionDeclaration, *ast.ClassDeclaration:
		return st.(ast.Statement), true
	}
	return nil, false
}

// Use is one use of a free name in a function body.
type Use struct {
	Name      string
	Offset    int  // byte offset of the name in the body
	Shorthand bool // the shorthand property {Name}: the name is also the key
	Target    bool // the name is assigned or updated (Name = ..., Name++, for (Name of ...))
}

// FreeUses lists every use of a name that body (a JS function body, such as Code.Body) does not
// declare, in text order. The engine uses it to rewrite references to rules.
func FreeUses(body string) ([]Use, error) {
	const prefix = "(function(){"
	prog, err := parser.ParseFile(nil, "", prefix+body+"\n})", 0)
	if err != nil {
		return nil, err
	}
	es, ok := prog.Body[0].(*ast.ExpressionStatement)
	if !ok {
		return nil, fmt.Errorf("not a function body")
	}
	fl, ok := es.Expression.(*ast.FunctionLiteral)
	if !ok {
		return nil, fmt.Errorf("not a function body")
	}
	root := &jsScope{fn: true}
	root.declare("arguments")
	s := &scanner{cur: root}
	s.functionBody(fl)
	var out []Use
	for _, u := range s.uses {
		if u.scope.resolves(u.name) {
			continue
		}
		out = append(out, Use{Name: u.name, Offset: u.off - len(prefix), Shorthand: u.kind == useShorthand, Target: u.kind == useTarget})
	}
	slices.SortStableFunc(out, func(a, b Use) int { return cmp.Compare(a.Offset, b.Offset) })
	return out, nil
}
