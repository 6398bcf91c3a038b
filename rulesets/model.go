// Package rulesets is the ruleset model: the rule author's contract (ruleset-format.md) as Go values,
// loaded from a ruleset folder or its single-JSON form, validated with file:line:column errors, and
// written back out. It is a leaf package: it knows nothing of the engine that evaluates it.
package rulesets

import (
	"fmt"
	"strings"
	"time"
)

// Pos is a place in a ruleset's own files. File is relative to the ruleset folder
// ("ruleset.yaml", "rules/max-loan.js", "tests/young.yaml"); Line and Column are 1-based.
type Pos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

func (p Pos) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Ruleset is one version of a ruleset. Slices keep the declared order.
type Ruleset struct {
	Name        string
	Version     string
	Description string
	Uses        []string // library rulesets whose functions, constants and tables are in scope
	Library     bool
	Culture     string // BCP 47 tag, "" for none
	Timezone    string // IANA zone name, "" for UTC

	Inputs    []*Input
	Entities  []*Entity
	Constants []*Constant
	Tables    []*Table
	Functions []*Function
	Rules     []*Rule
	Alerts    []*Alert
	Testcases []*Testcase
	// Workflow makes the ruleset a workflow (nil for a plain ruleset).
	Workflow *Workflow

	// OcktoScenarios are the Ockto simulator scenarios its testcases may name besides the built-in
	// ones: the folder's ockto-scenarios.yaml, or `ocktoScenarios` in the JSON form. Their content
	// is the simulator's to read (package ocktosim); nil when there are none.
	OcktoScenarios *Object

	// Dir is the folder the ruleset was loaded from ("" for the JSON form). Test files and --update use it.
	Dir string
}

// Persists reports whether the ruleset declares persisted entities (and so needs a store).
func (rs *Ruleset) Persists() bool {
	for _, e := range rs.Entities {
		if e.Persisted {
			return true
		}
	}
	return false
}

// Location is the ruleset's time zone (UTC when none is set). Validation guarantees the name loads.
func (rs *Ruleset) Location() *time.Location {
	if rs.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(rs.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Type is a declared type: any, number, boolean, string, date, enum (Values), array (Of) or an entity name.
type Type struct {
	Name   string
	Values []string // enum values
	Of     *Type    // array element type
}

// The built-in type names. Any other name refers to an entity.
const (
	TypeAny     = "any"
	TypeNumber  = "number"
	TypeBoolean = "boolean"
	TypeString  = "string"
	TypeDate    = "date"
	TypeEnum    = "enum"
	TypeArray   = "array"
)

// IsEntity reports whether the type names an entity rather than a built-in type.
func (t *Type) IsEntity() bool {
	if t == nil {
		return false
	}
	switch t.Name {
	case TypeAny, TypeNumber, TypeBoolean, TypeString, TypeDate, TypeEnum, TypeArray, "":
		return false
	}
	return true
}

func (t *Type) String() string {
	if t == nil || t.Name == "" {
		return TypeAny
	}
	if t.Name == TypeArray && t.Of != nil {
		return t.Of.String() + "[]"
	}
	return t.Name
}

// Input is a declared input. Value is read from the JSON property From (or Name when From is empty).
type Input struct {
	Name        string
	Type        Type
	Required    bool
	Default     any // JSON-shaped value; meaningful when HasDefault
	HasDefault  bool
	From        string
	Output      bool // echo the (converted) input into the output under its name
	PII         bool // personal data: the server's decision log writes "<redacted>" for it
	Label       string
	Description string
	Pos         Pos
}

// JSONName is the property name the input is read from.
func (in *Input) JSONName() string {
	if in.From != "" {
		return in.From
	}
	return in.Name
}

// Entity is a declared entity class.
type Entity struct {
	Name        string
	Persisted   bool
	Description string
	Properties  []*Property
	Calculated  []*Calculated
	Pos         Pos
}

// Declares reports whether name is one of the entity's properties or calculated properties.
func (e *Entity) Declares(name string) bool {
	for _, p := range e.Properties {
		if p.Name == name {
			return true
		}
	}
	for _, c := range e.Calculated {
		if c.Name == name {
			return true
		}
	}
	return false
}

// Property is one stored property of an entity.
type Property struct {
	Name        string
	Type        Type
	Required    bool
	Default     any
	HasDefault  bool
	Label       string
	Description string
	Pos         Pos
}

// Calculated is a property computed like a rule, in the scope of the instance's properties.
type Calculated struct {
	Name string
	Type *Type // nil: any
	Code Code
	Pos  Pos
}

// Constant is a named constant: a JSON-shaped Value, or an environment variable (Env) resolved per environment.
type Constant struct {
	Name       string
	Value      any    // nil, bool, float64, string, []any, *Object
	Env        string // when set, the value comes from this environment variable
	Default    any    // with Env: the value when the variable is not set
	HasDefault bool
	Pos        Pos
}

// Table is a constant table. Each row has a key and one value per column.
type Table struct {
	Name    string
	Columns []string
	Rows    []*Row
	File    string // the CSV file it was read from (relative), "" when inline
	Pos     Pos
}

// Row is one row of a table.
type Row struct {
	Key    string
	Values []any // nil, bool, float64, string; one per column
	Pos    Pos
}

// IsRange reports whether the table has `from` and `to` columns, which makes lookup(value) find the row
// whose [from, to] holds the value.
func (t *Table) IsRange() bool {
	return t.Column("from") >= 0 && t.Column("to") >= 0
}

// Column is the index of the named column, or -1.
func (t *Table) Column(name string) int {
	for i, c := range t.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// Function is a ruleset function callable by bare name.
type Function struct {
	Name        string
	Params      []*Param
	Returns     *Type // nil: any
	Description string
	Code        Code
	Pos         Pos
}

// Param is a function parameter.
type Param struct {
	Name string
	Type Type
}

// Rule is a named rule. Its value is in the output under OutputName unless Output is false.
type Rule struct {
	Name        string
	Type        *Type // nil: any
	Output      bool
	OutputName  string // the output key (Name unless renamed)
	Description string
	Code        Code
	Pos         Pos
}

// Alert levels.
const (
	LevelError   = "error"
	LevelWarning = "warning"
	LevelInfo    = "info"
)

// Alert is raised when When is truthy; Message is a JS template literal (without the backticks).
type Alert struct {
	Name    string
	Level   string
	When    Code
	Message Code
	Pos     Pos
}

// Code is a piece of JavaScript written by the rule author: an expression, a statement body, or
// (for alert messages) the inside of a template literal.
type Code struct {
	// Source is the text exactly as written.
	Source string
	// File is the rules/*.js file it came from (relative), "" when written inline in the YAML/JSON.
	File string
	// Pos is where Source's first character stands in the author's files.
	Pos Pos
	// Indent is the column offset (0-based) of lines after the first, for YAML block scalars; 0 for files.
	Indent int

	// Filled in by the loader's analysis:

	// Expression reports whether Source is a single JS expression (else it is a statement body).
	Expression bool
	// Body is Source as a JS function body that returns the value: "return (expr\n);" for an expression,
	// or the statements with `return` put before a final expression statement. Line k of Body is line k
	// of Source; only columns on the first line (BodyShift) or the rewritten final statement move.
	Body string
	// BodyShift is how many characters Body adds before Source's first character on line 1.
	BodyShift int
	// Refs are the free names the code references (names not declared inside it), in order of first use.
	Refs []string
}

// At maps a 1-based line and column within Source to a place in the author's files.
func (c *Code) At(line, col int) Pos {
	p := c.Pos
	if line <= 1 {
		p.Column += col - 1
		return p
	}
	p.Line += line - 1
	p.Column = c.Indent + col
	return p
}

// AtBody maps a 1-based line and column within Body to a place in the author's files.
func (c *Code) AtBody(line, col int) Pos {
	if line <= 1 {
		col -= c.BodyShift
		if col < 1 {
			col = 1
		}
	}
	return c.At(line, col)
}

// Testcase is one testcase (tests/*.yaml or inline `testcases:`).
type Testcase struct {
	Name      string
	Now       time.Time // zero: the default fixed clock
	Culture   string
	Input     *Object
	Expect    Expect
	Tolerance float64 // absolute, for numbers; 0 means the default 1e-9
	File      string  // relative file it came from
	Pos       Pos
	// Fixtures are persisted entities saved before the testcase runs.
	Fixtures []*Fixture
	// SharedStore: the testcases of this file run in order on one store (`store: shared`), instead
	// of each on a fresh one.
	SharedStore bool
	// Ockto names the Ockto simulator scenario the testcase runs against ("" for none): the test
	// runner serves the simulator for this testcase alone and points KUBUS_OCKTO_* at it.
	Ockto string
	// Consents and DataDebits are document consents and data debits saved before the testcase
	// runs, in the records' own shapes (the test runner checks them).
	Consents   []*RecordFixture
	DataDebits []*RecordFixture
	// Steps script a workflow testcase: events and what to expect after each (wftests.go).
	Steps []*TestStep
	// HTTP are the answers of the outside world to the testcase's Http calls: the test runner
	// serves them on 127.0.0.1, and a call none of them answers fails the testcase.
	HTTP []*HTTPFixture
	// SQL seed a throwaway SQLite database per connection for the testcase's SQL calls, and
	// MongoDB the collections of a local fixture server per connection; a call to a connection
	// without a fixture fails the testcase.
	SQL     []*SQLFixture
	MongoDB []*MongoFixture
	// MailCapture (`mail: capture`): the testcase's mail is captured, never sent, for expect.mails.
	MailCapture bool
}

// SQLFixture seeds the database a connection's SQL calls reach in a testcase: a SQL script, read
// from File (relative to the ruleset folder) or written inline.
type SQLFixture struct {
	Connection string
	File       string // "" when inline
	Script     string
	Pos        Pos
}

// MongoFixture seeds the collections a connection's MongoDB calls reach in a testcase.
type MongoFixture struct {
	Connection  string
	Collections []MongoCollection
	Pos         Pos
}

// MongoCollection is a collection's seed documents, as written (extended JSON such as {$oid: …}
// and {$date: …} for the types YAML lacks).
type MongoCollection struct {
	Name      string
	Documents []any
}

// HTTPFixture answers the Http calls whose method and URL match: URL exactly, or any URL that starts
// with it when it ends in *.
type HTTPFixture struct {
	Method  string // upper case; default GET
	URL     string
	Status  int // default 200
	Headers map[string]string
	JSON    any // sent as application/json when HasJSON
	HasJSON bool
	Body    string
	Delay   *Duration
	Pos     Pos
}

// Matches reports whether the fixture answers a call.
func (f *HTTPFixture) Matches(method, url string) bool {
	if f.Method != method {
		return false
	}
	if prefix, ok := strings.CutSuffix(f.URL, "*"); ok {
		return strings.HasPrefix(url, prefix)
	}
	return f.URL == url
}

// RecordFixture is one record a testcase saves before it runs.
type RecordFixture struct {
	Props *Object
	Pos   Pos
}

// Fixture is one entity a testcase saves before it runs: `- Person: {Name: Ann}`.
type Fixture struct {
	Entity string
	Props  *Object
	Pos    Pos
}

// Expect is what a testcase checks. Only what was written is compared.
type Expect struct {
	Output    *Object // nil: output not checked
	Strict    bool    // compare every output key, not only the listed ones
	Alerts    []string
	HasAlerts bool // alerts was written (an empty list means: no alerts)
	Error     string
	HasError  bool // error was written; with Error == "" it means "no error" (error: null)
	// Mails are the messages the execution sent or queued (a testcase with `mail: capture`), in
	// order; HasMails: mails was written (an empty list means: none).
	Mails    []MailExpect
	HasMails bool
	// Documents are documents the execution saved (PDF.create, Documents.save), each matched by
	// name when it gives one.
	Documents []DocumentExpect
}

// MailExpect is one expected message: to names one of its recipients, subject is exact, contains
// is part of its text or HTML, attachments are file names it carries.
type MailExpect struct {
	To, Subject, Contains string
	Attachments           []string
	Pos                   Pos
}

// DocumentExpect is one expected document: its name and content type exact, contains part of its
// text (for a PDF the text it lays out, in order).
type DocumentExpect struct {
	Name, ContentType, Contains string
	Pos                         Pos
}

// Object is a JSON object that keeps its keys in the order written. Values are nil, bool, float64,
// string, []any or *Object.
type Object struct {
	Keys   []string
	Values map[string]any
}

// NewObject makes an empty Object.
func NewObject() *Object { return &Object{Values: map[string]any{}} }

// Set adds or replaces a key, keeping the first position of an existing key.
func (o *Object) Set(k string, v any) {
	if _, ok := o.Values[k]; !ok {
		o.Keys = append(o.Keys, k)
	}
	o.Values[k] = v
}

// Get returns the value of a key.
func (o *Object) Get(k string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.Values[k]
	return v, ok
}

// Len is the number of keys.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.Keys)
}

// Map converts the object (deeply) to plain Go maps, the shape encoding/json decodes into.
func (o *Object) Map() map[string]any {
	if o == nil {
		return nil
	}
	m := make(map[string]any, len(o.Keys))
	for _, k := range o.Keys {
		m[k] = Plain(o.Values[k])
	}
	return m
}

// Plain converts a value that may hold *Object (deeply) into plain maps and slices.
func Plain(v any) any {
	switch v := v.(type) {
	case *Object:
		return v.Map()
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = Plain(e)
		}
		return out
	}
	return v
}
