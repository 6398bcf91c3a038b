package builtins

import (
	"fmt"
	"strings"

	"github.com/dop251/goja"
)

// Fn is one built-in function, declared once: what Install defines, what the typings declare and
// what docs/builtins.md lists all come from the same entry, so they cannot drift apart.
type Fn struct {
	// Name as rule authors call it: "ROUND" (a global), "pmt" (a member of a namespace), "where"
	// (a method on a prototype).
	Name string
	// Signature is the TypeScript after the name: "(rate: number, nper: number, pv: number): number".
	Signature string
	// Doc is one line: what it does, with the unit conventions an author needs.
	Doc string
	// Example is a JS expression and its value as a comment: "Finance.pmt(0.05 / 12, 360, 200000) // -1073.64".
	Example string
	// Impl builds the implementation for one runtime. Wrong arguments throw a TypeError or RangeError
	// naming the function (see the argument helpers in args.go).
	Impl func(h *Host) func(call goja.FunctionCall) goja.Value
}

// Const is one documented constant of a namespace or constructor (Date.MS_IN_DAY, Ockto.ConsentCodes).
type Const struct {
	Name  string
	Type  string // TypeScript type
	Doc   string
	Value any
}

// Described is implemented by modules that document their functions; docs/builtins.md and the
// registry tests are generated from it.
type Described interface {
	Module
	// Reference lists the module's functions and constants by their qualified name
	// ("ROUND", "Finance.pmt", "Array.prototype.where", "Date.MS_IN_DAY").
	Reference() []Entry
}

// Entry is one function or constant in the reference: its qualified name, its TypeScript
// signature (for a constant, ": type"), its doc line and an example.
type Entry struct {
	Qualified string
	Signature string
	Doc       string
	Example   string
}

// InstallGlobals defines each function as a global.
func InstallGlobals(h *Host, fns []Fn) error {
	for _, f := range fns {
		if err := h.SetGlobal(f.Name, h.Func(f.Name, f.Impl(h))); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

// InstallNamespace defines a global object `name` holding the functions and constants.
func InstallNamespace(h *Host, name string, fns []Fn, consts []Const) (*goja.Object, error) {
	ns, err := h.Namespace(name)
	if err != nil {
		return nil, err
	}
	for _, f := range fns {
		if err := ns.Set(f.Name, h.Func(name+"."+f.Name, f.Impl(h))); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", name, f.Name, err)
		}
	}
	for _, c := range consts {
		if err := ns.Set(c.Name, c.Value); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", name, c.Name, err)
		}
	}
	return ns, nil
}

// InstallMethods defines the functions as non-enumerable methods of a prototype (Array.prototype,
// Date.prototype), so `for (k in array)` does not see them. qualifier names them in errors
// ("Array.prototype").
func InstallMethods(h *Host, proto *goja.Object, qualifier string, fns []Fn) error {
	for _, f := range fns {
		fn := h.Func(f.Name, f.Impl(h))
		if err := proto.DefineDataProperty(f.Name, fn, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
			return fmt.Errorf("%s.%s: %w", qualifier, f.Name, err)
		}
	}
	return nil
}

// GlobalTypings declares each function as a global function.
func GlobalTypings(header string, fns []Fn) string {
	var b strings.Builder
	b.WriteString("// " + header + "\n")
	for _, f := range fns {
		fmt.Fprintf(&b, "/** %s */\ndeclare function %s%s;\n", f.Doc, f.Name, f.Signature)
	}
	return b.String()
}

// NamespaceTypings declares a namespace of functions and constants.
func NamespaceTypings(name, doc string, fns []Fn, consts []Const) string {
	var b strings.Builder
	fmt.Fprintf(&b, "/** %s */\ndeclare namespace %s {\n", doc, name)
	for _, c := range consts {
		fmt.Fprintf(&b, "  /** %s */\n  const %s: %s;\n", c.Doc, c.Name, c.Type)
	}
	for _, f := range fns {
		fmt.Fprintf(&b, "  /** %s */\n  function %s%s;\n", f.Doc, f.Name, f.Signature)
	}
	b.WriteString("}\n")
	return b.String()
}

// InterfaceTypings declares methods added to a built-in interface ("Array<T>", "Date").
func InterfaceTypings(iface, doc string, fns []Fn) string {
	var b strings.Builder
	fmt.Fprintf(&b, "/** %s */\ninterface %s {\n", doc, iface)
	for _, f := range fns {
		fmt.Fprintf(&b, "  /** %s */\n  %s%s;\n", f.Doc, f.Name, f.Signature)
	}
	b.WriteString("}\n")
	return b.String()
}

// ReferenceOf lists functions (and constants) under a qualifier ("" for globals, "Finance",
// "Array.prototype").
func ReferenceOf(qualifier string, fns []Fn, consts []Const) []Entry {
	q := func(name string) string {
		if qualifier == "" {
			return name
		}
		return qualifier + "." + name
	}
	var out []Entry
	for _, c := range consts {
		out = append(out, Entry{Qualified: q(c.Name), Signature: ": " + c.Type, Doc: c.Doc})
	}
	for _, f := range fns {
		out = append(out, Entry{Qualified: q(f.Name), Signature: f.Signature, Doc: f.Doc, Example: f.Example})
	}
	return out
}

// Namespace is a module that is one global object of functions and constants (Finance, Crypto,
// ...): it installs, types and documents itself from its tables, so such a module is its tables
// and a doc line.
type Namespace struct {
	Global   string  // the global's name, e.g. "Finance"
	Doc      string  // the namespace's doc comment in the typings
	Preamble string  // TypeScript declared before the namespace (types its signatures use)
	Fns      []Fn    // functions
	Consts   []Const // constants
}

var _ Described = Namespace{}

// Name is the global's name.
func (n Namespace) Name() string { return n.Global }

// Install defines the global object on h.VM.
func (n Namespace) Install(h *Host) error {
	_, err := InstallNamespace(h, n.Global, n.Fns, n.Consts)
	return err
}

// Typings declares the namespace (after the preamble).
func (n Namespace) Typings() string {
	return n.Preamble + NamespaceTypings(n.Global, n.Doc, n.Fns, n.Consts)
}

// Reference lists the functions and constants by their qualified name.
func (n Namespace) Reference() []Entry { return ReferenceOf(n.Global, n.Fns, n.Consts) }
