package rulesets

import (
	"errors"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/semver"

	"github.com/kubusdev/kubus/rulesets/culture"
)

// The keys each part of ruleset.yaml may have (the JSON form adds `file` where noted in the loader).
var (
	rootKeys       = []string{"name", "version", "description", "uses", "library", "culture", "timezone", "inputs", "entities", "constants", "tables", "functions", "rules", "alerts", "workflow", "ocktoScenarios", "testcases"}
	inputKeys      = []string{"type", "values", "of", "required", "default", "from", "output", "pii", "label", "description"}
	answerKeys     = []string{"type", "values", "of", "required", "default", "from", "pii", "label", "description"}
	entityKeys     = []string{"persisted", "description", "properties", "calculated"}
	propertyKeys   = []string{"type", "values", "of", "required", "default", "label", "description"}
	calculatedKeys = []string{"type", "values", "of", "expression", "file"}
	functionKeys   = []string{"params", "returns", "description", "body", "file"}
	ruleKeys       = []string{"type", "values", "of", "output", "description", "expression", "file"}
	alertKeys      = []string{"level", "when", "message"}
	typeKeys       = []string{"type", "values", "of"}
	builtinTypes   = []string{TypeAny, TypeNumber, TypeBoolean, TypeString, TypeDate, TypeEnum, TypeArray}
)

// DefaultVersion is the version of a ruleset that does not declare one.
const DefaultVersion = "0.0.0"

// loader holds what is needed across the parts of one load: the problems found so far, and what the
// cross-checks at the end need to know about every name and piece of code.
type loader struct {
	opts *LoadOptions
	lim  limits
	// readBytes counts what was read of the ruleset's files, against lim.totalBytes.
	readBytes                 int64
	cells                     int // of all tables so far, against lim.tableCells
	declsBlown, snippetsBlown bool
	probs                     problems
	rs                        *Ruleset
	root                      *os.Root // the ruleset folder; nil for the JSON form
	jsonForm                  bool
	mainOK                    bool // the main document parsed, so checks against its declarations mean something

	entitySet map[string]bool
	entities  map[string]*Entity
	decls     []decl
	codes     []*codeInfo
	defaults  []pendingDefault
	tcs       []*tcInfo
	outputs   []outputKey
}

// decl is one name in the ruleset's shared scope.
type decl struct {
	name, kind, field string
	pos               Pos
}

// codeInfo is one piece of code with what its checks need.
type codeInfo struct {
	code  *Code
	field string
	kind  CodeKind
	scope []string // names in scope besides the ruleset's: a function's params, an entity's members
	refs  []jsRef
	ok    bool
}

type pendingDefault struct {
	d     *decoder
	n     *yaml.Node
	field string
	t     Type
	v     any
}

type outputKey struct {
	key, field string
	pos        Pos
}

func newLoader(opts *LoadOptions) *loader {
	if opts == nil {
		opts = &LoadOptions{}
	}
	return &loader{
		opts:      opts,
		lim:       limitsOf(opts),
		rs:        &Ruleset{Version: DefaultVersion},
		entitySet: map[string]bool{},
		entities:  map[string]*Entity{},
	}
}

// loadMain decodes ruleset.yaml (or the JSON document).
func (l *loader) loadMain(file string, src []byte) {
	d := l.decoder(file, src)
	if !utf8.Valid(src) {
		l.probs.add(Pos{File: file, Line: 1}, "", "save the file as UTF-8", "%s is not valid UTF-8", file)
		return
	}
	root, ok := d.parse(src)
	if !ok {
		return
	}
	if root == nil {
		l.probs.add(Pos{File: file, Line: 1, Column: 1}, "", "start with `name: my-ruleset`", "%s is empty", file)
		return
	}
	if deref(root).Kind != yaml.MappingNode {
		d.problem(root, "", "a ruleset is a mapping with name, inputs, rules, ...", "expected a mapping at the top, got %s", kindName(root))
		return
	}
	l.mainOK = true
	m := d.fields(root, "", rootKeys...)
	rs := l.rs

	if e, ok := m["name"]; ok {
		rs.Name = d.str(e.V, "name")
		if !rulesetNameRE.MatchString(rs.Name) {
			d.problem(e.V, "name", "use lowercase letters, digits and -, e.g. travel-insurance", "`%s` is not a valid ruleset name", rs.Name)
		}
	} else {
		d.problem(root, "name", "add `name: my-ruleset` at the top", "a ruleset needs a name")
	}
	if e, ok := m["version"]; ok {
		rs.Version = d.str(e.V, "version")
		if !isSemver(rs.Version) {
			d.problem(e.V, "version", "write MAJOR.MINOR.PATCH, e.g. 1.0.0 (quote it if YAML reads it as a number)", "`%s` is not a semantic version", rs.Version)
		}
	}
	if e, ok := m["description"]; ok {
		rs.Description = d.str(e.V, "description")
	}
	if e, ok := m["uses"]; ok {
		seen := map[string]bool{}
		for _, n := range d.list(e.V, "uses") {
			name := d.str(n, "uses")
			switch {
			case !rulesetNameRE.MatchString(name):
				d.problem(n, "uses", "name a library ruleset, e.g. finance-common", "`%s` is not a valid ruleset name", name)
			case seen[name]:
				d.problem(n, "uses", "remove the repetition", "`%s` is listed twice", name)
			case name == rs.Name:
				d.problem(n, "uses", "remove it", "a ruleset cannot use itself")
			}
			seen[name] = true
			rs.Uses = append(rs.Uses, name)
			if lib := l.opts.Libraries[name]; lib != nil && !lib.Library {
				d.problem(n, "uses", "set `library: true` in "+name, "`%s` is not a library", name)
			}
		}
	}
	if e, ok := m["library"]; ok {
		rs.Library = d.boolean(e.V, "library")
	}
	if e, ok := m["culture"]; ok {
		rs.Culture = d.str(e.V, "culture")
		l.checkCulture(d, e.V, "culture", rs.Culture)
	}
	if e, ok := m["timezone"]; ok {
		rs.Timezone = d.str(e.V, "timezone")
		if _, err := time.LoadLocation(rs.Timezone); err != nil || rs.Timezone == "Local" || rs.Timezone == "" {
			d.problem(e.V, "timezone", "use an IANA zone name such as Europe/Amsterdam or UTC", "unknown time zone `%s`", rs.Timezone)
			rs.Timezone = ""
		}
	}

	// Types may name entities declared anywhere, so know their names first.
	if e, ok := m["entities"]; ok {
		for _, en := range d.entries(e.V, "entities") {
			l.entitySet[en.Key] = true
		}
	}
	if e, ok := m["entities"]; ok {
		l.decodeEntities(d, e.V)
	}
	if e, ok := m["inputs"]; ok {
		l.decodeInputs(d, e.V)
	}
	if e, ok := m["constants"]; ok {
		l.decodeConstants(d, e.V)
	}
	if e, ok := m["tables"]; ok {
		l.decodeTables(d, e.V)
	}
	if e, ok := m["functions"]; ok {
		l.decodeFunctions(d, e.V)
	}
	if e, ok := m["rules"]; ok {
		l.decodeRules(d, e.V)
	}
	if e, ok := m["alerts"]; ok {
		l.decodeAlerts(d, e.V)
	}
	if e, ok := m["workflow"]; ok {
		l.decodeWorkflow(d, e.K, e.V)
	}
	if e, ok := m["ocktoScenarios"]; ok {
		l.rs.OcktoScenarios = l.objectValue(d, e.V, "ocktoScenarios")
	}
	if e, ok := m["testcases"]; ok {
		l.testcases(d, e.V, RulesetFile, "testcases")
	}
}

// isSemver reports whether v is a full MAJOR.MINOR.PATCH version, optionally with pre-release and build.
func isSemver(v string) bool {
	if !semver.IsValid("v" + v) {
		return false
	}
	core := v
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	return strings.Count(core, ".") == 2
}

func (l *loader) checkCulture(d *decoder, n *yaml.Node, field, tag string) {
	if tag == "" {
		d.problem(n, field, "write a BCP 47 tag such as nl-NL or en-US, or leave the key out", "the culture is empty")
		return
	}
	if _, err := culture.Resolve(tag); err != nil {
		var ce *culture.Error
		if errors.As(err, &ce) {
			err = errors.New(ce.Reason)
		}
		d.problem(n, field, "write a BCP 47 tag CLDR has data for, such as nl-NL, nl-BE or en-US", "`%s` is not a culture: %v", tag, err)
	}
}

// declare records a name in the shared scope; validity and uniqueness are checked once all are known.
func (l *loader) declare(d *decoder, k *yaml.Node, name, kind, field string) {
	if len(l.decls) >= l.lim.decls {
		if !l.declsBlown {
			l.declsBlown = true
			d.problem(k, field, "split the ruleset into a library and the rulesets that use it", "the ruleset declares more than %d names (inputs, entities, constants, tables, functions and rules; LoadOptions.MaxDeclarations)", l.lim.decls)
		}
		return
	}
	l.decls = append(l.decls, decl{name: name, kind: kind, field: field, pos: d.pos(k)})
}

// ---- inputs ----

func (l *loader) decodeInputs(d *decoder, n *yaml.Node) {
	l.rs.Inputs = append(l.rs.Inputs, l.decodeFields(d, n, "inputs", l.declare)...)
}

// decodeFields reads typed values declared like inputs: the ruleset's inputs (with declare, which
// puts each name in the shared scope) or a wait step's answer (declare nil).
func (l *loader) decodeFields(d *decoder, n *yaml.Node, section string, declare func(d *decoder, k *yaml.Node, name, kind, field string)) []*Input {
	var out []*Input
	for _, e := range d.entries(n, section) {
		field := section + "." + e.Key
		in := &Input{Name: e.Key, Pos: d.pos(e.K), Type: Type{Name: TypeAny}}
		if declare != nil {
			declare(d, e.K, e.Key, "input", field)
		} else if msg, hint := checkLocalName(in.Name); msg != "" {
			d.problem(e.K, field, hint, "%s", msg)
		}
		v := deref(e.V)
		switch {
		case isNull(v):
		case v.Kind == yaml.ScalarNode:
			in.Type = l.typeSpec(d, v, field+".type", 0)
		case v.Kind == yaml.MappingNode:
			keys := inputKeys
			if declare == nil {
				keys = answerKeys
			}
			m := d.fields(v, field, keys...)
			in.Type, _ = l.typeOf(d, m, field)
			if x, ok := m["required"]; ok {
				in.Required = d.boolean(x.V, field+".required")
			}
			if x, ok := m["default"]; ok {
				l.defaultValue(d, x, field, in.Type, in.Required, &in.Default, &in.HasDefault)
			}
			if x, ok := m["from"]; ok {
				in.From = d.str(x.V, field+".from")
				if in.From == "" {
					d.problem(x.V, field+".from", "write the JSON property name, or leave `from` out", "`from` is empty")
				}
			}
			if x, ok := m["output"]; ok {
				in.Output = d.boolean(x.V, field+".output")
				if in.Output {
					l.outputs = append(l.outputs, outputKey{key: in.Name, field: field + ".output", pos: d.pos(x.V)})
				}
			}
			if x, ok := m["pii"]; ok {
				in.PII = d.boolean(x.V, field+".pii")
			}
			if x, ok := m["label"]; ok {
				in.Label = d.str(x.V, field+".label")
			}
			if x, ok := m["description"]; ok {
				in.Description = d.str(x.V, field+".description")
			}
		default:
			d.problem(v, field, "write a type (`number`) or a mapping ({type: number, required: true})", "expected a type or a mapping, got %s", kindName(v))
		}
		out = append(out, in)
	}
	// Two fields reading the same JSON property would silently get the same value.
	seen := map[string]*Input{}
	for _, in := range out {
		if prev := seen[in.JSONName()]; prev != nil {
			what := "field " + prev.Name
			if declare != nil {
				what = "input " + prev.Name
			}
			l.probs.add(in.Pos, section+"."+in.Name, "give one of them another `from`", "reads the JSON property `%s`, as %s does", in.JSONName(), what)
			continue
		}
		seen[in.JSONName()] = in
	}
	return out
}

// defaultValue reads a `default`, to be checked against its type once every entity is known.
func (l *loader) defaultValue(d *decoder, x entry, field string, t Type, required bool, dst *any, has *bool) {
	v, ok := d.value(x.V, field+".default")
	if !ok {
		return
	}
	*dst, *has = v, true
	if required {
		d.problem(x.K, field+".default", "remove `required: true` or the default", "a required value cannot have a default")
	}
	l.defaults = append(l.defaults, pendingDefault{d: d, n: x.V, field: field + ".default", t: t, v: v})
}

// ---- entities ----

func (l *loader) decodeEntities(d *decoder, n *yaml.Node) {
	for _, e := range d.entries(n, "entities") {
		field := "entities." + e.Key
		en := &Entity{Name: e.Key, Pos: d.pos(e.K)}
		l.declare(d, e.K, e.Key, "entity", field)
		if containsString(builtinTypes, en.Name) {
			d.problem(e.K, field, "entity names are used as types; choose a name that is not a built-in type", "`%s` is a built-in type name", en.Name)
		}
		l.entities[en.Name] = en
		m := d.fields(e.V, field, entityKeys...)
		if x, ok := m["persisted"]; ok {
			en.Persisted = d.boolean(x.V, field+".persisted")
		}
		if x, ok := m["description"]; ok {
			en.Description = d.str(x.V, field+".description")
		}
		members := map[string]bool{}
		if x, ok := m["properties"]; ok {
			en.Properties = l.decodeProperties(d, x.V, field+".properties")
			for _, p := range en.Properties {
				members[p.Name] = true
			}
		}
		if x, ok := m["calculated"]; ok {
			calcEntries := d.entries(x.V, field+".calculated")
			for _, ce := range calcEntries {
				members[ce.Key] = true
			}
			scope := sortedKeys(members)
			for _, ce := range calcEntries {
				cf := field + ".calculated." + ce.Key
				c := &Calculated{Name: ce.Key, Pos: d.pos(ce.K)}
				if msg, hint := checkLocalName(c.Name); msg != "" {
					d.problem(ce.K, cf, hint, "%s", msg)
				}
				for _, p := range en.Properties {
					if p.Name == c.Name {
						d.problem(ce.K, cf, "rename the calculated property", "`%s` is also a stored property of %s", c.Name, en.Name)
					}
				}
				v := deref(ce.V)
				switch {
				case v != nil && v.Kind == yaml.ScalarNode && !isNull(v):
					l.inlineCode(d, v, cf, CodeBody, scope, &c.Code)
				case v != nil && v.Kind == yaml.MappingNode:
					cm := d.fields(v, cf, calculatedKeys...)
					t, written := l.typeOf(d, cm, cf)
					c.Type = typePtr(t, written)
					l.code(d, cm, ce.K, "expression", cf, CodeBody, scope, &c.Code)
				default:
					d.problem(ce.V, cf, "write an expression such as AGE(Birthdate)", "expected an expression or a mapping with expression, got %s", kindName(ce.V))
				}
				en.Calculated = append(en.Calculated, c)
			}
		}
		l.rs.Entities = append(l.rs.Entities, en)
	}
}

// decodeProperties reads the properties of an entity (or of a workflow's state).
func (l *loader) decodeProperties(d *decoder, n *yaml.Node, field string) []*Property {
	var out []*Property
	for _, pe := range d.entries(n, field) {
		pf := field + "." + pe.Key
		p := &Property{Name: pe.Key, Pos: d.pos(pe.K), Type: Type{Name: TypeAny}}
		if msg, hint := checkLocalName(p.Name); msg != "" {
			d.problem(pe.K, pf, hint, "%s", msg)
		}
		v := deref(pe.V)
		switch {
		case isNull(v):
		case v.Kind == yaml.ScalarNode:
			p.Type = l.typeSpec(d, v, pf+".type", 0)
		case v.Kind == yaml.MappingNode:
			pm := d.fields(v, pf, propertyKeys...)
			p.Type, _ = l.typeOf(d, pm, pf)
			if y, ok := pm["required"]; ok {
				p.Required = d.boolean(y.V, pf+".required")
			}
			if y, ok := pm["default"]; ok {
				l.defaultValue(d, y, pf, p.Type, p.Required, &p.Default, &p.HasDefault)
			}
			if y, ok := pm["label"]; ok {
				p.Label = d.str(y.V, pf+".label")
			}
			if y, ok := pm["description"]; ok {
				p.Description = d.str(y.V, pf+".description")
			}
		default:
			d.problem(v, pf, "write a type (`string`) or a mapping ({type: string, required: true})", "expected a type or a mapping, got %s", kindName(v))
		}
		out = append(out, p)
	}
	return out
}

// ---- constants ----

func (l *loader) decodeConstants(d *decoder, n *yaml.Node) {
	for _, e := range d.entries(n, "constants") {
		field := "constants." + e.Key
		c := &Constant{Name: e.Key, Pos: d.pos(e.K)}
		l.declare(d, e.K, e.Key, "constant", field)
		v := deref(e.V)
		if v != nil && v.Kind == yaml.MappingNode && isEnvForm(v) {
			m := d.fields(v, field, "env", "default")
			c.Env = d.str(m["env"].V, field+".env")
			if !envNameRE.MatchString(c.Env) {
				d.problem(m["env"].V, field+".env", "use letters, digits and _, e.g. FIN_DATA_URL", "`%s` is not a valid environment variable name", c.Env)
			} else if IsModuleSetting(c.Env) {
				d.problem(m["env"].V, field+".env", "declare a variable of your own for the environment in kubus.yaml",
					"`%s` is a setting of Kubus or a module (names starting %s), which rule code cannot read", c.Env, ModuleSettingPrefix)
			}
			if x, ok := m["default"]; ok {
				if dv, ok := d.value(x.V, field+".default"); ok {
					c.Default, c.HasDefault = dv, true
				}
			}
		} else if val, ok := d.value(e.V, field); ok {
			c.Value = val
		}
		l.rs.Constants = append(l.rs.Constants, c)
	}
}

// isEnvForm reports whether a constant's mapping is {env: NAME} or {env: NAME, default: ...}: any other
// mapping is a JSON object constant.
func isEnvForm(n *yaml.Node) bool {
	hasEnv := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch keyText(n.Content[i]) {
		case "env":
			hasEnv = true
		case "default":
		default:
			return false
		}
	}
	return hasEnv
}

// ---- functions ----

func (l *loader) decodeFunctions(d *decoder, n *yaml.Node) {
	for _, e := range d.entries(n, "functions") {
		field := "functions." + e.Key
		f := &Function{Name: e.Key, Pos: d.pos(e.K)}
		l.declare(d, e.K, e.Key, "function", field)
		m := d.fields(e.V, field, functionKeys...)
		var scope []string
		if x, ok := m["params"]; ok {
			for _, pe := range d.entries(x.V, field+".params") {
				pf := field + ".params." + pe.Key
				if msg, hint := checkLocalName(pe.Key); msg != "" {
					d.problem(pe.K, pf, hint, "%s", msg)
				}
				p := &Param{Name: pe.Key, Type: Type{Name: TypeAny}}
				if !isNull(pe.V) {
					p.Type = l.typeSpec(d, pe.V, pf, 0)
				}
				f.Params = append(f.Params, p)
				scope = append(scope, p.Name)
			}
		}
		if x, ok := m["returns"]; ok && !isNull(x.V) {
			f.Returns = typePtr(l.typeSpec(d, x.V, field+".returns", 0), true)
		}
		if x, ok := m["description"]; ok {
			f.Description = d.str(x.V, field+".description")
		}
		if isMapOrNull(e.V) {
			l.code(d, m, e.K, "body", field, CodeBody, scope, &f.Code)
		}
		l.rs.Functions = append(l.rs.Functions, f)
	}
}

// ---- rules ----

func (l *loader) decodeRules(d *decoder, n *yaml.Node) {
	for _, e := range d.entries(n, "rules") {
		field := "rules." + e.Key
		r := &Rule{Name: e.Key, Pos: d.pos(e.K), Output: true, OutputName: e.Key}
		l.declare(d, e.K, e.Key, "rule", field)
		outPos := d.pos(e.K)
		v := deref(e.V)
		switch {
		case v != nil && v.Kind == yaml.ScalarNode && !isNull(v):
			l.inlineCode(d, v, field, CodeBody, nil, &r.Code)
		case v != nil && v.Kind == yaml.MappingNode:
			m := d.fields(v, field, ruleKeys...)
			t, written := l.typeOf(d, m, field)
			r.Type = typePtr(t, written)
			if x, ok := m["output"]; ok {
				o := deref(x.V)
				switch {
				case o != nil && o.Kind == yaml.ScalarNode && o.ShortTag() == "!!bool":
					r.Output = d.boolean(o, field+".output")
				case o != nil && o.Kind == yaml.ScalarNode && o.ShortTag() == "!!str" && o.Value != "":
					r.OutputName = o.Value
					outPos = d.pos(o)
				default:
					d.problem(x.V, field+".output", "write true, false, or the output key to use instead of the rule name", "expected true, false or a key name, got %s", kindName(x.V))
				}
			}
			if x, ok := m["description"]; ok {
				r.Description = d.str(x.V, field+".description")
			}
			l.code(d, m, e.K, "expression", field, CodeBody, nil, &r.Code)
		default:
			d.problem(e.V, field, "write an expression, or a mapping with `expression` or `file`", "expected an expression or a mapping, got %s", kindName(e.V))
		}
		if r.Output {
			l.outputs = append(l.outputs, outputKey{key: r.OutputName, field: field, pos: outPos})
		}
		l.rs.Rules = append(l.rs.Rules, r)
	}
}

// ---- alerts ----

func (l *loader) decodeAlerts(d *decoder, n *yaml.Node) {
	for _, e := range d.entries(n, "alerts") {
		field := "alerts." + e.Key
		a := &Alert{Name: e.Key, Pos: d.pos(e.K)}
		if msg, hint := checkLocalName(a.Name); msg != "" {
			d.problem(e.K, field, hint, "%s", msg)
		}
		m := d.fields(e.V, field, alertKeys...)
		if x, ok := m["level"]; ok {
			a.Level = d.str(x.V, field+".level")
			if a.Level != LevelError && a.Level != LevelWarning && a.Level != LevelInfo {
				d.problem(x.V, field+".level", didYouMean(a.Level, []string{LevelError, LevelWarning, LevelInfo}, "use error, warning or info"), "unknown level `%s`", a.Level)
			}
		} else if isMapOrNull(e.V) {
			d.problem(e.K, field+".level", "add `level: error`, `warning` or `info`", "an alert needs a level")
		}
		if x, ok := m["when"]; ok {
			l.inlineCode(d, x.V, field+".when", CodeBody, nil, &a.When)
		} else if isMapOrNull(e.V) {
			d.problem(e.K, field+".when", "add `when: <condition>`", "an alert needs a `when` condition")
		}
		if x, ok := m["message"]; ok {
			l.inlineCode(d, x.V, field+".message", CodeTemplate, nil, &a.Message)
		} else if isMapOrNull(e.V) {
			d.problem(e.K, field+".message", "add `message: \"...\"` (a template: ${expression} parts are evaluated)", "an alert needs a message")
		}
		l.rs.Alerts = append(l.rs.Alerts, a)
	}
}

func isMapOrNull(n *yaml.Node) bool {
	return isNull(n) || deref(n).Kind == yaml.MappingNode
}

// ---- code ----

// code reads the code of a rule, function or calculated property: inline under textKey, or in the file
// named by `file`. The JSON form carries both: the text, and the file it is written to by WriteDir.
func (l *loader) code(d *decoder, m map[string]entry, owner *yaml.Node, textKey, field string, kind CodeKind, scope []string, dst *Code) {
	text, hasText := m[textKey]
	fileE, hasFile := m["file"]
	var p string
	pathOK := false
	if hasFile {
		p = d.str(fileE.V, field+".file")
		msg, hint := checkPath(p, ".js")
		if msg != "" {
			d.problem(fileE.V, field+".file", hint, "%s", msg)
		}
		pathOK = msg == ""
	}
	switch {
	case hasText && hasFile && !l.jsonForm:
		d.problem(fileE.K, field+".file", "keep the code in one place: remove `"+textKey+"` or `file`", "both `%s` and `file` are given", textKey)
		l.inlineCode(d, text.V, field+"."+textKey, kind, scope, dst)
	case hasText:
		l.inlineCode(d, text.V, field+"."+textKey, kind, scope, dst)
		if hasFile && pathOK {
			dst.File = p
		}
	case hasFile && l.jsonForm:
		d.problem(fileE.K, field+".file", "add `"+textKey+"` with the text of "+p, "the JSON form carries the code itself, next to `file`")
	case hasFile:
		if !pathOK {
			return
		}
		data, ok := l.readFile(d, fileE.V, field+".file", p)
		if !ok {
			return
		}
		*dst = Code{Source: string(data), File: p, Pos: Pos{File: p, Line: 1, Column: 1}}
		l.addCode(d, fileE.V, &codeInfo{code: dst, field: field + ".file", kind: kind, scope: scope})
	default:
		d.problem(owner, field, "write `"+textKey+": ...`, or `file: rules/<name>.js` for a longer one", "no `%s` or `file` given", textKey)
	}
}

// inlineCode reads code written as a YAML scalar.
func (l *loader) inlineCode(d *decoder, n *yaml.Node, field string, kind CodeKind, scope []string, dst *Code) {
	n = deref(n)
	if isNull(n) {
		d.problem(n, field, "write the JavaScript code", "the code is empty")
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.problem(n, field, "write the code as text; use `|` for several lines", "expected JavaScript code as text, got %s", kindName(n))
		return
	}
	pos, indent := d.codePos(n)
	*dst = Code{Source: n.Value, Pos: pos, Indent: indent}
	l.addCode(d, n, &codeInfo{code: dst, field: field, kind: kind, scope: scope})
}

// codePos is where the first character of a scalar's value stands, and the indentation of its later
// lines. A quoted scalar starts after its quote; a block scalar (| or >) on the line after its indicator,
// indented by however much its content is (found from the raw text, since yaml.Node does not keep it).
func (d *decoder) codePos(n *yaml.Node) (Pos, int) {
	p := d.pos(n)
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		indent := d.blockIndent(n)
		p.Line++
		p.Column = indent + 1
		return p, indent
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		p.Column++
	}
	return p, 0
}

// blockIndent finds the content indentation of a block scalar: the leading spaces of its first non-blank
// line in the file, less those that are part of the value (more-indented first lines keep theirs).
func (d *decoder) blockIndent(n *yaml.Node) int {
	for k, vl := range strings.Split(n.Value, "\n") {
		if strings.TrimSpace(vl) == "" {
			continue
		}
		i := n.Line + k // n.Line is the indicator's line (1-based), so this is line k+1 after it, 0-based
		if i >= len(d.lines) {
			break
		}
		raw := d.lines[i]
		return max(leadingSpaces(raw)-leadingSpaces(vl), 0)
	}
	return max(n.Column-1, 0) + 2
}

func leadingSpaces(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}
