package rulesets

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// jsReserved are the words that cannot name a binding in (strict) JavaScript.
var jsReserved = setOf(
	"break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do",
	"else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in",
	"instanceof", "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof",
	"var", "void", "while", "with", "yield", "let", "static", "implements", "interface", "package",
	"private", "protected", "public", "await", "arguments",
)

// jsGlobals are the standard global names of the JavaScript runtime. A ruleset name must not hide them,
// and code may use them without declaring them, except the refused ones (eval, BigInt, ...: see
// refusedNames), which code may not name at all.
var jsGlobals = setOf(
	"globalThis", "Infinity", "NaN", "undefined", "eval", "isFinite", "isNaN", "parseFloat", "parseInt",
	"decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "unescape",
	"Object", "Function", "Array", "Number", "Boolean", "String", "Symbol", "BigInt", "Date", "RegExp",
	"Error", "AggregateError", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError",
	"URIError", "Math", "JSON", "Reflect", "Proxy", "Promise", "Map", "Set", "WeakMap", "WeakSet",
	"WeakRef", "FinalizationRegistry", "ArrayBuffer", "SharedArrayBuffer", "DataView", "Atomics",
	"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
	"Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "Intl", "Iterator",
	"GoError", "arguments",
)

// jsAbsent are standard globals goja does not provide: no ruleset may declare them, but code that uses
// them gets "unknown name" at load time rather than a ReferenceError at run time.
var jsAbsent = setOf("Intl", "Iterator", "WeakRef", "FinalizationRegistry", "SharedArrayBuffer", "Atomics")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// isIdentifier reports whether s is a JavaScript IdentifierName (without escapes).
func isIdentifier(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i, r := range s {
		switch {
		case r == '$' || r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r):
		case i > 0 && (unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Pc) || r == '\u200c' || r == '\u200d'):
		default:
			return false
		}
	}
	return true
}

// checkBindingName says what is wrong with name as a name in a ruleset's shared scope, or "" when it is fine.
// The hint says what to do.
func checkBindingName(name string, globals map[string]bool) (msg, hint string) {
	switch {
	case name == "":
		return "a name cannot be empty", "write a name made of letters, digits and _"
	case !isIdentifier(name):
		return fmt.Sprintf("`%s` is not a valid JavaScript identifier", name), "use letters, digits, _ and $, not starting with a digit"
	case jsReserved[name]:
		return fmt.Sprintf("`%s` is a reserved word in JavaScript", name), "choose another name, e.g. " + strings.ToUpper(name[:1]) + name[1:]
	case refusedNames[name] != [2]string{}:
		return refusedNames[name][0], "choose another name"
	case jsGlobals[name]:
		return fmt.Sprintf("`%s` would hide the standard JavaScript global of that name", name), "choose another name"
	case strings.HasPrefix(name, "__"):
		return fmt.Sprintf("`%s` starts with __, which is reserved for the engine", name), "choose a name that does not start with __"
	case globals[name]:
		return fmt.Sprintf("`%s` would hide the built-in `%s`", name, name), "choose another name"
	}
	return "", ""
}

// checkLocalName is checkBindingName for names that live in a narrower scope (parameters, entity
// properties, alert names): they may shadow globals, but must still be usable identifiers.
func checkLocalName(name string) (msg, hint string) {
	switch {
	case name == "":
		return "a name cannot be empty", "write a name made of letters, digits and _"
	case !isIdentifier(name):
		return fmt.Sprintf("`%s` is not a valid JavaScript identifier", name), "use letters, digits, _ and $, not starting with a digit"
	case jsReserved[name]:
		return fmt.Sprintf("`%s` is a reserved word in JavaScript", name), "choose another name"
	case refusedNames[name] != [2]string{}:
		return refusedNames[name][0], "choose another name"
	case strings.HasPrefix(name, "__"):
		return fmt.Sprintf("`%s` starts with __, which is reserved for the engine", name), "choose a name that does not start with __"
	}
	return "", ""
}

var rulesetNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ModuleSettingPrefix starts the names of the settings of Kubus and its modules (KUBUS_OCKTO_PASSWORD,
// KUBUS_STORE, ...). Rule code never reads them: they hold secrets and addresses, not rule inputs.
const ModuleSettingPrefix = "KUBUS_"

// IsModuleSetting reports whether an environment variable name is a setting of Kubus or a module,
// which no `env:` constant, System.env call or kubus.yaml rule variable may name. Case does not
// matter: on Windows kubus_ockto_password and KUBUS_OCKTO_PASSWORD are the same variable.
func IsModuleSetting(name string) bool {
	return len(name) >= len(ModuleSettingPrefix) && strings.EqualFold(name[:len(ModuleSettingPrefix)], ModuleSettingPrefix)
}

// suggest returns the candidate closest to s when it is close enough to be a likely typo, else "".
func suggest(s string, candidates []string) string {
	best, bestD := "", -1
	limit := 2
	if n := utf8.RuneCountInString(s); n <= 3 {
		limit = 1
	} else if n >= 10 {
		limit = 3
	}
	for _, c := range candidates {
		if c == s {
			continue
		}
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if strings.EqualFold(s, c) {
			d = 0
		}
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// didYouMean is the hint for a misspelled name, or fallback when nothing is close.
func didYouMean(s string, candidates []string, fallback string) string {
	if c := suggest(s, candidates); c != "" {
		return fmt.Sprintf("did you mean `%s`?", c)
	}
	return fallback
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
