package consent

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// argError is a value of the right type that cannot be read (a filter with a syntax error, an
// unknown sort field): the JS layer throws it as a RangeError naming the function.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func argErrorf(format string, args ...any) error { return &argError{fmt.Sprintf(format, args...)} }

// Fields are the consent fields that list can filter and sort on.
var Fields = []string{"_id", "type", "userId", "contextUri", "secondaryContextUri", "state", "givenAt",
	"requestRevokedAt", "requestRescindedAt", "createdAt", "etag",
	"document.uri", "document.contentType", "document.revisionId", "document.revisedAt"}

// searchFields are what q and search('words') look in.
var searchFields = []string{"type", "document.uri", "contextUri", "secondaryContextUri"}

// field is the value of a field as list compares it: times in their stored form (RFC 3339, UTC,
// milliseconds: they compare chronologically as strings); ok false when the consent has none.
func (c *Consent) field(name string) (string, bool) {
	var v any
	switch name {
	case "_id":
		v = c.ID
	case "type":
		v = c.Type
	case "userId":
		v = c.UserID
	case "contextUri":
		v = c.ContextURI
	case "secondaryContextUri":
		v = c.SecondaryContextURI
	case "state":
		v = c.State
	case "givenAt":
		v = fmtTime(c.GivenAt)
	case "requestRevokedAt":
		v = fmtTime(c.RequestRevokedAt)
	case "requestRescindedAt":
		v = fmtTime(c.RequestRescindedAt)
	case "createdAt":
		v = fmtTime(c.CreatedAt)
	case "etag":
		v = c.ETag
	case "document.uri":
		v = c.Document.URI
	case "document.contentType":
		v = c.Document.ContentType
	case "document.revisionId":
		v = c.Document.RevisionID
	case "document.revisedAt":
		v = fmtTime(c.Document.RevisedAt)
	}
	s, _ := v.(string)
	return s, s != ""
}

// ListSpec selects, sorts and pages consents. Each of Types, States, UserIDs, ContextURIs and
// SecondaryContextURIs, when not empty, lists the accepted values (the "a|b" alternatives).
type ListSpec struct {
	Types, States, UserIDs, ContextURIs, SecondaryContextURIs []string

	Filter string // see parseFilter
	Q      string // free text: every word in type, document.uri, contextUri or secondaryContextUri
	SortBy string // "type,-givenAt"
	Start  int
	Limit  int // -1: no limit
}

// Alternatives splits "a|b" into its values; an empty string is no restriction.
func Alternatives(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// maxAlternatives bounds the values of one "a|b|…" criterion.
const maxAlternatives = 100

func (e *env) list(s ListSpec) ([]*Consent, error) {
	filter := map[string]any{}
	for _, c := range []struct {
		key  string
		alts []string
	}{{"type", s.Types}, {"state", s.States}, {"userId", s.UserIDs}, {"contextUri", s.ContextURIs}, {"secondaryContextUri", s.SecondaryContextURIs}} {
		if len(c.alts) == 0 {
			continue
		}
		if len(c.alts) > maxAlternatives {
			return nil, argErrorf("%s has more than %d alternatives", c.key, maxAlternatives)
		}
		in := make([]any, len(c.alts))
		for i, a := range c.alts {
			if c.key == "state" && !slices.Contains(States, a) {
				return nil, argErrorf("state %s is not a consent state (%s)", quote(a), strings.Join(States, ", "))
			}
			in[i] = a
		}
		filter[c.key] = map[string]any{"$in": in}
	}
	conds, err := parseFilter(s.Filter)
	if err != nil {
		return nil, err
	}
	if words := strings.Fields(strings.ToLower(s.Q)); len(words) > 0 {
		conds = append(conds, cond{fn: "search", value: s.Q, hasValue: true})
	}
	sortKeys, err := parseSort(s.SortBy)
	if err != nil {
		return nil, err
	}
	found, err := e.find(filter)
	if err != nil {
		return nil, err
	}
	out := found[:0]
	for _, c := range found {
		if matchAll(c, conds) {
			out = append(out, c)
		}
	}
	if len(sortKeys) > 0 {
		sort.SliceStable(out, func(i, j int) bool {
			for _, k := range sortKeys {
				a, okA := out[i].field(k.field)
				b, okB := out[j].field(k.field)
				switch {
				case okA != okB:
					return okA // the ones without the field last, both directions
				case a == b:
					continue
				case k.desc:
					return a > b
				default:
					return a < b
				}
			}
			return false
		})
	}
	if s.Start >= len(out) {
		return nil, nil
	}
	out = out[s.Start:]
	if s.Limit >= 0 && s.Limit < len(out) {
		out = out[:s.Limit]
	}
	return out, nil
}

type sortKey struct {
	field string
	desc  bool
}

// parseSort reads "type,-givenAt": field names separated by commas, "-" for descending ("+"
// optional for ascending).
func parseSort(s string) ([]sortKey, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var keys []sortKey
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		k := sortKey{field: part}
		if rest, ok := strings.CutPrefix(part, "-"); ok {
			k = sortKey{field: rest, desc: true}
		} else if rest, ok := strings.CutPrefix(part, "+"); ok {
			k.field = rest
		}
		if !slices.Contains(Fields, k.field) {
			return nil, argErrorf("sortBy: %s is not a consent field (%s)", quote(part), strings.Join(Fields, ", "))
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// cond is one filter function call.
type cond struct {
	fn       string // eq, ne, contains, search
	field    string // "" for search over the searchFields
	value    string
	hasValue bool // false: null
}

func matchAll(c *Consent, conds []cond) bool {
	for _, k := range conds {
		if !k.match(c) {
			return false
		}
	}
	return true
}

func (k cond) match(c *Consent) bool {
	switch k.fn {
	case "eq", "ne":
		v, ok := c.field(k.field)
		eq := ok == k.hasValue && v == k.value
		return eq == (k.fn == "eq")
	case "contains":
		v, ok := c.field(k.field)
		return ok && strings.Contains(v, k.value)
	default: // search
		var text string
		if k.field != "" {
			text, _ = c.field(k.field)
		} else {
			parts := make([]string, 0, len(searchFields))
			for _, f := range searchFields {
				v, _ := c.field(f)
				parts = append(parts, v)
			}
			text = strings.Join(parts, "\n")
		}
		text = strings.ToLower(text)
		for _, w := range strings.Fields(strings.ToLower(k.value)) {
			if !strings.Contains(text, w) {
				return false
			}
		}
		return true
	}
}

// MaxFilterLength bounds a filter expression.
const MaxFilterLength = 4096

// parseFilter reads a filter expression: function calls joined by "and".
//
//	eq(field, 'value')        the field equals value; eq(field, null): the field is empty
//	ne(field, 'value')        the negation of eq
//	contains(field, 'value')  the field contains value (case-sensitive)
//	search('words')           every word occurs, case-insensitively, in type, document.uri,
//	                          contextUri or secondaryContextUri (what q does)
//	search(field, 'words')    every word occurs, case-insensitively, in the field
//
// Fields are those in Fields (document.uri, givenAt, ...). Values are single-quoted, with a quote
// inside doubled; times are compared in their stored form, "2024-06-14T22:30:00.000Z". Example:
//
//	eq(state,'given') and contains(document.uri,'terms') and ne(contextUri,'it''s')
func parseFilter(s string) ([]cond, error) {
	if len(s) > MaxFilterLength {
		return nil, argErrorf("filter is longer than %d characters", MaxFilterLength)
	}
	p := &filterParser{s: s}
	p.space()
	if p.eof() {
		return nil, nil
	}
	var conds []cond
	for {
		c, err := p.call()
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
		p.space()
		if p.eof() {
			return conds, nil
		}
		at := p.pos
		if w := p.word(); !strings.EqualFold(w, "and") {
			p.pos = at
			return nil, p.errorf("expected \"and\" or the end")
		}
	}
}

type filterParser struct {
	s   string
	pos int
}

func (p *filterParser) eof() bool { return p.pos >= len(p.s) }

func (p *filterParser) errorf(format string, args ...any) error {
	return argErrorf("filter: %s at position %d of %s (syntax: eq(field,'value') and contains(document.uri,'terms'))",
		fmt.Sprintf(format, args...), p.pos+1, quote(p.s))
}

func (p *filterParser) space() {
	for !p.eof() && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		p.pos++
	}
}

// word reads a name: letters, digits, "_", "." (document.uri).
func (p *filterParser) word() string {
	p.space()
	start := p.pos
	for !p.eof() {
		b := p.s[p.pos]
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.' {
			p.pos++
			continue
		}
		break
	}
	return p.s[start:p.pos]
}

func (p *filterParser) expect(b byte) error {
	p.space()
	if p.eof() || p.s[p.pos] != b {
		return p.errorf("expected %q", b)
	}
	p.pos++
	return nil
}

// value reads 'quoted' (hasValue) or null.
func (p *filterParser) value() (string, bool, error) {
	p.space()
	if !p.eof() && p.s[p.pos] == '\'' {
		p.pos++
		var b strings.Builder
		for !p.eof() {
			c := p.s[p.pos]
			p.pos++
			if c != '\'' {
				b.WriteByte(c)
				continue
			}
			if !p.eof() && p.s[p.pos] == '\'' {
				b.WriteByte('\'')
				p.pos++
				continue
			}
			return b.String(), true, nil
		}
		return "", false, p.errorf("unterminated string")
	}
	start := p.pos
	if w := p.word(); w == "null" {
		return "", false, nil
	}
	p.pos = start
	return "", false, p.errorf("expected a 'quoted' value or null")
}

func (p *filterParser) call() (cond, error) {
	start := p.pos
	fn := p.word()
	switch fn {
	case "eq", "ne", "contains", "search":
	case "":
		return cond{}, p.errorf("expected eq, ne, contains or search")
	default:
		p.pos = start
		p.space()
		return cond{}, p.errorf("unknown function %s (use eq, ne, contains or search)", quote(fn))
	}
	if err := p.expect('('); err != nil {
		return cond{}, err
	}
	c := cond{fn: fn}
	p.space()
	if fn != "search" || p.eof() || p.s[p.pos] != '\'' {
		at := p.pos
		c.field = p.word()
		if !slices.Contains(Fields, c.field) {
			p.pos = at
			return cond{}, p.errorf("%s is not a consent field (%s)", quote(c.field), strings.Join(Fields, ", "))
		}
		if err := p.expect(','); err != nil {
			return cond{}, err
		}
	}
	v, has, err := p.value()
	if err != nil {
		return cond{}, err
	}
	if !has && fn != "eq" && fn != "ne" {
		return cond{}, p.errorf("%s needs a 'quoted' value, not null", fn)
	}
	c.value, c.hasValue = v, has
	if err := p.expect(')'); err != nil {
		return cond{}, err
	}
	return c, nil
}
