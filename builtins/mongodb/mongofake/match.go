package mongofake

import (
	"math"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// matcher reports whether a document matches a compiled filter. Filters are
// compiled up front so that a malformed or unsupported filter is an error
// even when the collection is empty.
type matcher func(doc bson.D) bool

// resPred tests what a path reached in one document.
type resPred func(r pathResult) bool

// evalPanic carries a runtime expression error (from $expr) out of a
// matcher; the command layer turns it back into an error.
type evalPanic struct{ err error }

func matchAll(bson.D) bool { return true }

func compileFilter(filter bson.D) (matcher, error) {
	var ms []matcher
	for _, e := range filter {
		m, err := compileFilterElem(e)
		if err != nil {
			return nil, err
		}
		if m != nil {
			ms = append(ms, m)
		}
	}
	return andMatchers(ms), nil
}

func andMatchers(ms []matcher) matcher {
	switch len(ms) {
	case 0:
		return matchAll
	case 1:
		return ms[0]
	}
	return func(d bson.D) bool {
		for _, m := range ms {
			if !m(d) {
				return false
			}
		}
		return true
	}
}

func compileFilterValue(v any) (matcher, error) {
	d, ok := v.(bson.D)
	if !ok {
		return nil, badValue("expected a filter document, not %s", typeName(v))
	}
	return compileFilter(d)
}

func compileFilterElem(e bson.E) (matcher, error) {
	if !strings.HasPrefix(e.Key, "$") {
		return compileField(e.Key, e.Value)
	}
	switch e.Key {
	case "$and", "$or", "$nor":
		arr, ok := e.Value.(bson.A)
		if !ok || len(arr) == 0 {
			return nil, badValue("%s must be a nonempty array", e.Key)
		}
		subs := make([]matcher, len(arr))
		for i, s := range arr {
			m, err := compileFilterValue(s)
			if err != nil {
				return nil, err
			}
			subs[i] = m
		}
		switch e.Key {
		case "$and":
			return andMatchers(subs), nil
		case "$or":
			return func(d bson.D) bool {
				for _, m := range subs {
					if m(d) {
						return true
					}
				}
				return false
			}, nil
		}
		return func(d bson.D) bool {
			for _, m := range subs {
				if m(d) {
					return false
				}
			}
			return true
		}, nil
	case "$expr":
		ex, err := compileExpr(e.Value)
		if err != nil {
			return nil, err
		}
		return func(d bson.D) bool {
			v, err := ex(d)
			if err != nil {
				panic(evalPanic{err})
			}
			return truthy(v)
		}, nil
	case "$comment":
		return nil, nil
	}
	return nil, unsupported("query operator %s", e.Key)
}

// isOperatorDoc reports whether v is {$op: ...} rather than a literal document.
func isOperatorDoc(v any) (bson.D, bool) {
	d, ok := v.(bson.D)
	if !ok || len(d) == 0 || !strings.HasPrefix(d[0].Key, "$") {
		return nil, false
	}
	return d, true
}

func compileField(path string, v any) (matcher, error) {
	parts, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	var p resPred
	if ops, ok := isOperatorDoc(v); ok {
		p, err = compileOps(ops)
	} else if re, ok := v.(bson.Regex); ok {
		p, err = regexPred(re.Pattern, re.Options)
	} else {
		p = eqPred(v)
	}
	if err != nil {
		return nil, err
	}
	return func(d bson.D) bool { return p(queryValues(d, parts)) }, nil
}

// anyLeaf applies f to every value reached and, one level deep, to the
// elements of arrays reached, as MongoDB does for most operators.
func anyLeaf(r pathResult, f func(any) bool) bool {
	for _, v := range r.vals {
		if f(v) {
			return true
		}
		if a, ok := v.(bson.A); ok {
			for _, e := range a {
				if f(e) {
					return true
				}
			}
		}
	}
	return false
}

func isNull(v any) bool {
	switch v.(type) {
	case nil, bson.Null:
		return true
	}
	return false
}

func eqPred(q any) resPred {
	if isNullish(q) {
		// null matches null and missing fields.
		return func(r pathResult) bool { return r.missing || anyLeaf(r, isNull) }
	}
	return func(r pathResult) bool {
		return anyLeaf(r, func(x any) bool { return valuesEqual(x, q) })
	}
}

func not(p resPred) resPred { return func(r pathResult) bool { return !p(r) } }

func compileOps(ops bson.D) (resPred, error) {
	var preds []resPred
	var regexSeen, optionsSeen bool
	var options string
	for _, op := range ops {
		if op.Key == "$options" {
			s, ok := op.Value.(string)
			if !ok {
				return nil, badValue("$options has to be a string")
			}
			options, optionsSeen = s, true
		}
		if op.Key == "$regex" {
			regexSeen = true
		}
	}
	if optionsSeen && !regexSeen {
		return nil, badValue("$options needs a $regex")
	}
	for _, op := range ops {
		if op.Key == "$options" {
			continue
		}
		p, err := compileOp(op.Key, op.Value, options)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	if len(preds) == 1 {
		return preds[0], nil
	}
	return func(r pathResult) bool {
		for _, p := range preds {
			if !p(r) {
				return false
			}
		}
		return true
	}, nil
}

func compileOp(name string, arg any, regexOptions string) (resPred, error) {
	switch name {
	case "$eq":
		return eqPred(arg), nil
	case "$ne":
		return not(eqPred(arg)), nil
	case "$gt", "$gte", "$lt", "$lte":
		return cmpPred(name, arg), nil
	case "$in", "$nin":
		p, err := inPred(name, arg)
		if err != nil {
			return nil, err
		}
		if name == "$nin" {
			return not(p), nil
		}
		return p, nil
	case "$exists":
		want := truthy(arg)
		return func(r pathResult) bool { return (len(r.vals) > 0) == want }, nil
	case "$type":
		return typePred(arg)
	case "$regex":
		pattern, opts := "", regexOptions
		switch x := arg.(type) {
		case string:
			pattern = x
		case bson.Regex:
			pattern = x.Pattern
			if opts == "" {
				opts = x.Options
			}
		default:
			return nil, badValue("$regex has to be a string")
		}
		return regexPred(pattern, opts)
	case "$size":
		n, ok := intValue(arg)
		if !ok {
			return nil, badValue("$size needs a number")
		}
		if n < 0 {
			return nil, badValue("$size may not be negative")
		}
		return func(r pathResult) bool {
			for _, v := range r.vals {
				if a, ok := v.(bson.A); ok && int64(len(a)) == n {
					return true
				}
			}
			return false
		}, nil
	case "$all":
		return allPred(arg)
	case "$elemMatch":
		return elemMatchPred(arg)
	case "$mod":
		return modPred(arg)
	case "$not":
		switch x := arg.(type) {
		case bson.Regex:
			p, err := regexPred(x.Pattern, x.Options)
			if err != nil {
				return nil, err
			}
			return not(p), nil
		case bson.D:
			if len(x) == 0 {
				return nil, badValue("$not cannot be empty")
			}
			if _, ok := isOperatorDoc(x); !ok {
				return nil, badValue("$not needs a regex or a document")
			}
			p, err := compileOps(x)
			if err != nil {
				return nil, err
			}
			return not(p), nil
		}
		return nil, badValue("$not needs a regex or a document")
	}
	return nil, unsupported("query operator %s", name)
}

// sameBracket implements query type bracketing: $gt 5 never matches a string.
func sameBracket(x, q any) bool { return typeRank(x) == typeRank(q) }

func cmpPred(name string, q any) resPred {
	if isNullish(q) {
		if name == "$gte" || name == "$lte" {
			return eqPred(nil)
		}
		return func(pathResult) bool { return false }
	}
	ok := func(c int) bool {
		switch name {
		case "$gt":
			return c > 0
		case "$gte":
			return c >= 0
		case "$lt":
			return c < 0
		}
		return c <= 0
	}
	_, isMinMax := q.(bson.MinKey)
	if _, mk := q.(bson.MaxKey); mk {
		isMinMax = true
	}
	return func(r pathResult) bool {
		return anyLeaf(r, func(x any) bool {
			if isNaN(x) || isNaN(q) {
				// NaN only equals NaN in range comparisons.
				return isNaN(x) && isNaN(q) && (name == "$gte" || name == "$lte")
			}
			return (isMinMax || sameBracket(x, q)) && ok(compareValues(x, q))
		})
	}
}

func inPred(name string, arg any) (resPred, error) {
	arr, ok := arg.(bson.A)
	if !ok {
		return nil, badValue("%s needs an array", name)
	}
	var preds []resPred
	for _, v := range arr {
		if _, isOp := isOperatorDoc(v); isOp {
			return nil, badValue("cannot nest $ under %s", name)
		}
		if re, ok := v.(bson.Regex); ok {
			p, err := regexPred(re.Pattern, re.Options)
			if err != nil {
				return nil, err
			}
			preds = append(preds, p)
			continue
		}
		preds = append(preds, eqPred(v))
	}
	return func(r pathResult) bool {
		for _, p := range preds {
			if p(r) {
				return true
			}
		}
		return false
	}, nil
}

var typeAliases = map[string]bool{"number": true}

func init() {
	for _, n := range typeCodes {
		typeAliases[n] = true
	}
}

func typePred(arg any) (resPred, error) {
	var names []string
	add := func(v any) error {
		switch x := v.(type) {
		case string:
			if !typeAliases[x] {
				return badValue("Unknown type name alias: %s", x)
			}
			names = append(names, x)
			return nil
		}
		if n, ok := intValue(v); ok {
			name, ok := typeCodes[int(n)]
			if !ok {
				return badValue("Invalid numerical type code: %d", n)
			}
			names = append(names, name)
			return nil
		}
		return typeMismatch("type must be represented as a number or a string")
	}
	if arr, ok := arg.(bson.A); ok {
		for _, v := range arr {
			if err := add(v); err != nil {
				return nil, err
			}
		}
	} else if err := add(arg); err != nil {
		return nil, err
	}
	return func(r pathResult) bool {
		return anyLeaf(r, func(x any) bool {
			tn := typeName(x)
			for _, n := range names {
				if n == tn || n == "number" && isNumber(x) {
					return true
				}
			}
			return false
		})
	}, nil
}

func regexPred(pattern, options string) (resPred, error) {
	re, err := compileRegex(pattern, options)
	if err != nil {
		return nil, err
	}
	return func(r pathResult) bool {
		return anyLeaf(r, func(x any) bool {
			switch s := x.(type) {
			case string:
				return re.MatchString(s)
			case bson.Symbol:
				return re.MatchString(string(s))
			case bson.Regex:
				return s.Pattern == pattern && s.Options == options
			}
			return false
		})
	}, nil
}

// compileRegex translates a PCRE pattern with MongoDB options to Go's RE2.
// RE2 lacks lookaround, backreferences and possessive quantifiers; such
// patterns are reported as unsupported.
func compileRegex(pattern, options string) (*regexp.Regexp, error) {
	flags := ""
	for _, c := range options {
		switch c {
		case 'i', 'm', 's':
			if !strings.ContainsRune(flags, c) {
				flags += string(c)
			}
		case 'x':
			pattern = stripExtended(pattern)
		case 'u':
		default:
			return nil, errf(51108, "Location51108", "invalid flag in regex options: %c", c)
		}
	}
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, unsupported("regular expression /%s/ (Go RE2 syntax: %v)", pattern, err)
	}
	return re, nil
}

// stripExtended removes the whitespace and #-comments the x option ignores.
func stripExtended(p string) string {
	var b strings.Builder
	inClass, escaped, comment := false, false, false
	for _, c := range p {
		switch {
		case comment:
			if c == '\n' {
				comment = false
			}
			continue
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
		case c == '#':
			comment = true
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func allPred(arg any) (resPred, error) {
	arr, ok := arg.(bson.A)
	if !ok {
		return nil, badValue("$all needs an array")
	}
	if len(arr) == 0 {
		return func(pathResult) bool { return false }, nil
	}
	preds := make([]resPred, 0, len(arr))
	for _, v := range arr {
		if d, ok := isOperatorDoc(v); ok {
			if d[0].Key != "$elemMatch" {
				return nil, badValue("no $ expressions in $all")
			}
			p, err := elemMatchPred(d[0].Value)
			if err != nil {
				return nil, err
			}
			preds = append(preds, p)
			continue
		}
		if re, ok := v.(bson.Regex); ok {
			p, err := regexPred(re.Pattern, re.Options)
			if err != nil {
				return nil, err
			}
			preds = append(preds, p)
			continue
		}
		preds = append(preds, eqPred(v))
	}
	return func(r pathResult) bool {
		for _, p := range preds {
			if !p(r) {
				return false
			}
		}
		return true
	}, nil
}

func elemMatchPred(arg any) (resPred, error) {
	elem, err := elemTester(arg)
	if err != nil {
		return nil, err
	}
	return func(r pathResult) bool {
		for _, v := range r.vals {
			if a, ok := v.(bson.A); ok {
				for _, e := range a {
					if elem(e) {
						return true
					}
				}
			}
		}
		return false
	}, nil
}

// elemTester compiles an $elemMatch spec into a test of one array element:
// operators apply to the element itself, anything else is a filter on
// element documents.
func elemTester(arg any) (func(any) bool, error) {
	spec, ok := arg.(bson.D)
	if !ok {
		return nil, badValue("$elemMatch needs an Object")
	}
	if ops, isOps := isOperatorDoc(spec); isOps && !isLogical(ops[0].Key) {
		p, err := compileOps(ops)
		if err != nil {
			return nil, err
		}
		return func(e any) bool { return p(pathResult{vals: []any{e}}) }, nil
	}
	m, err := compileFilter(spec)
	if err != nil {
		return nil, err
	}
	return func(e any) bool {
		d, ok := e.(bson.D)
		return ok && m(d)
	}, nil
}

func isLogical(op string) bool {
	switch op {
	case "$and", "$or", "$nor", "$expr", "$where", "$text", "$comment":
		return true
	}
	return false
}

func modPred(arg any) (resPred, error) {
	arr, ok := arg.(bson.A)
	if !ok {
		return nil, badValue("malformed mod, needs to be an array")
	}
	if len(arr) != 2 {
		return nil, badValue("malformed mod, not enough elements")
	}
	if !isNumber(arr[0]) || !isNumber(arr[1]) {
		return nil, badValue("malformed mod, divisor and remainder must be numbers")
	}
	d, r := truncNum(arr[0]), truncNum(arr[1])
	if d == 0 {
		return nil, badValue("divisor cannot be 0")
	}
	return func(res pathResult) bool {
		return anyLeaf(res, func(x any) bool {
			if !isNumber(x) {
				return false
			}
			f := asFloat(x)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return false
			}
			return truncNum(x)%d == r
		})
	}, nil
}

func truncNum(v any) int64 {
	if i, ok := asInt64(v); ok {
		return i
	}
	f := math.Trunc(asFloat(v))
	if math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
		return 0
	}
	return int64(f)
}
