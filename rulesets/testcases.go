package rulesets

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	testcaseKeys     = []string{"name", "now", "culture", "input", "fixtures", "ockto", "consents", "dataDebits", "expect", "steps", "http", "sql", "mongodb", "mail", "tolerance"}
	testcaseKeysJSON = append(slices.Clone(testcaseKeys), "file", "store")
	expectKeys       = []string{"output", "strict", "alerts", "error", "mails", "documents"}
)

// tcInfo keeps what the cross-checks need about a testcase: where its expected keys and alerts stand.
type tcInfo struct {
	tc      *Testcase
	d       *decoder
	field   string
	outKeys []entry
	alerts  []*yaml.Node
}

// testcases reads a list of testcases: a tests/*.yaml file, or `testcases:` in ruleset.yaml or the JSON form.
func (l *loader) testcases(d *decoder, n *yaml.Node, file, field string) {
	if v := deref(n); v != nil && v.Kind == yaml.MappingNode {
		d.problem(n, field, "write a list: each testcase starts with `- name: ...`", "testcases are a list, got a mapping")
		return
	}
	for i, it := range d.list(n, field) {
		l.testcase(d, it, file, field, i)
	}
}

// testFile reads a tests/*.yaml file: a list of testcases, or a mapping {store: shared, testcases:
// [...]} whose testcases run in order on one store.
func (l *loader) testFile(d *decoder, n *yaml.Node, file string) {
	v := deref(n)
	shaped := false // a mapping of the shared-file form, not a testcase written without its dash
	if v != nil && v.Kind == yaml.MappingNode {
		for _, e := range rawEntries(v) {
			shaped = shaped || e.Key == "store" || e.Key == "testcases"
		}
	}
	if !shaped {
		l.testcases(d, n, file, "testcases")
		return
	}
	m := d.fields(n, "", "store", "testcases")
	shared := false
	if x, ok := m["store"]; ok {
		switch s := d.str(x.V, "store"); s {
		case "shared":
			shared = true
		case "fresh":
		default:
			d.problem(x.V, "store", "write `store: shared` (the file's testcases share one store, in order) or leave it out", "unknown store mode `%s`", s)
		}
	}
	first := len(l.rs.Testcases)
	if x, ok := m["testcases"]; ok {
		l.testcases(d, x.V, file, "testcases")
	}
	for _, tc := range l.rs.Testcases[first:] {
		tc.SharedStore = shared
	}
}

// fixtures reads `fixtures: [{Person: {Name: Ann}}, ...]`: persisted entities to save first.
func (l *loader) fixtures(d *decoder, n *yaml.Node, field string, tc *Testcase) {
	for i, it := range d.list(n, field) {
		f := fmt.Sprintf("%s[%d]", field, i)
		entries := rawEntries(it)
		if len(entries) != 1 {
			d.problem(it, f, "write one entity per item: `- Person: {Name: Ann}`", "a fixture names one entity and its properties")
			continue
		}
		e := entries[0]
		var ent *Entity
		for _, x := range l.rs.Entities {
			if x.Name == e.Key {
				ent = x
			}
		}
		switch {
		case ent == nil:
			d.problem(it, f, "name a declared entity", "unknown entity `%s`", e.Key)
			continue
		case !ent.Persisted:
			d.problem(it, f, "set `persisted: true` on the entity", "entity `%s` is not persisted, so it cannot be a fixture", e.Key)
			continue
		}
		props := l.objectValue(d, e.V, f+"."+e.Key)
		if props == nil {
			props = NewObject()
		}
		tc.Fixtures = append(tc.Fixtures, &Fixture{Entity: e.Key, Props: props, Pos: d.pos(it)})
	}
}

// records reads a list of records (consents, dataDebits) to save before a testcase runs; their
// fields are the modules' to check.
func (l *loader) records(d *decoder, n *yaml.Node, field, example string) []*RecordFixture {
	var out []*RecordFixture
	for i, it := range d.list(n, field) {
		f := fmt.Sprintf("%s[%d]", field, i)
		if v := deref(it); v == nil || v.Kind != yaml.MappingNode {
			d.problem(it, f, "write one record per item: "+example, "expected a mapping, got %s", kindName(it))
			continue
		}
		props := l.objectValue(d, it, f)
		if props == nil {
			props = NewObject()
		}
		out = append(out, &RecordFixture{Props: props, Pos: d.pos(it)})
	}
	return out
}

func (l *loader) testcase(d *decoder, n *yaml.Node, file, listField string, index int) {
	field := fmt.Sprintf("%s[%d]", listField, index)
	tc := &Testcase{File: file, Pos: d.pos(n)}
	info := &tcInfo{tc: tc, d: d}
	keys := testcaseKeys
	if l.jsonForm {
		keys = testcaseKeysJSON
	}
	if deref(n) == nil || deref(n).Kind != yaml.MappingNode {
		d.problem(n, field, "write `- name: ...` with input and expect under it", "a testcase is a mapping, got %s", kindName(n))
		return
	}
	// Name the testcase in every problem about it, including unknown keys written before its name.
	for _, e := range rawEntries(n) {
		if v := deref(e.V); e.Key == "name" && v != nil && v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) != "" {
			field = listField + "." + strings.TrimSpace(v.Value)
		}
	}
	m := d.fields(n, field, keys...)
	if x, ok := m["name"]; ok {
		tc.Name = strings.TrimSpace(d.str(x.V, field+".name"))
		if tc.Name == "" {
			d.problem(x.V, field+".name", "describe what the testcase shows", "the testcase name is empty")
		}
	} else {
		d.problem(n, field+".name", "add `name: <what this testcase shows>`", "a testcase needs a name")
	}
	info.field = field
	if x, ok := m["file"]; ok {
		p := d.str(x.V, field+".file")
		if p != RulesetFile {
			if msg, hint := checkPath(p, ".yaml", ".yml"); msg != "" || !strings.HasPrefix(p, testsDir+"/") {
				if msg == "" {
					msg, hint = "`"+p+"` is not in the tests folder", "write tests/<name>.yaml, or ruleset.yaml for an inline testcase"
				}
				d.problem(x.V, field+".file", hint, "%s", msg)
				p = RulesetFile
			}
		}
		tc.File = p
	}
	if x, ok := m["now"]; ok {
		s := d.str(x.V, field+".now")
		t, err := parseNow(s, l.rs.Location())
		if err != nil {
			d.problem(x.V, field+".now", "write RFC 3339 (2023-07-20T09:00:00Z) or a date (2023-07-20)", "`%s` is not a time", s)
		}
		tc.Now = t
	}
	if x, ok := m["culture"]; ok {
		tc.Culture = d.str(x.V, field+".culture")
		l.checkCulture(d, x.V, field+".culture", tc.Culture)
	}
	if x, ok := m["input"]; ok {
		tc.Input = l.objectValue(d, x.V, field+".input")
	}
	if x, ok := m["fixtures"]; ok {
		l.fixtures(d, x.V, field+".fixtures", tc)
	}
	if x, ok := m["ockto"]; ok {
		tc.Ockto = strings.TrimSpace(d.str(x.V, field+".ockto"))
		if tc.Ockto == "" {
			d.problem(x.V, field+".ockto", "name a scenario: happy, no-scan, refused, flaky, or one of the ruleset's ockto-scenarios.yaml", "the Ockto scenario is empty")
		}
	}
	if x, ok := m["consents"]; ok {
		tc.Consents = l.records(d, x.V, field+".consents", "- {type: privacyPolicy, userId: u1, document: {uri: https://example.com/privacy}, state: given}")
	}
	if x, ok := m["dataDebits"]; ok {
		tc.DataDebits = l.records(d, x.V, field+".dataDebits", "- {dataDebitKey: dd-1, purpose: ..., start: 2025-01-01, period: 2592000, ...}")
	}
	if x, ok := m["store"]; ok { // the JSON form carries a file's store mode on each testcase
		tc.SharedStore = d.str(x.V, field+".store") == "shared"
	}
	if x, ok := m["expect"]; ok {
		ef := field + ".expect"
		em := d.fields(x.V, ef, expectKeys...)
		if y, ok := em["output"]; ok {
			tc.Expect.Output = l.objectValue(d, y.V, ef+".output")
			if tc.Expect.Output == nil {
				tc.Expect.Output = NewObject() // written but empty: compare nothing, but do compare with strict
			}
			info.outKeys = rawEntries(y.V)
		}
		if y, ok := em["strict"]; ok {
			tc.Expect.Strict = d.boolean(y.V, ef+".strict")
		}
		if y, ok := em["alerts"]; ok {
			tc.Expect.HasAlerts = true
			tc.Expect.Alerts = []string{}
			for _, a := range d.list(y.V, ef+".alerts") {
				if a == nil || a.Kind != yaml.ScalarNode || isNull(a) {
					d.problem(a, ef+".alerts", "list alert names", "expected an alert name, got %s", kindName(a))
					continue
				}
				tc.Expect.Alerts = append(tc.Expect.Alerts, a.Value)
				info.alerts = append(info.alerts, a)
			}
		}
		if y, ok := em["mails"]; ok {
			tc.Expect.HasMails = true
			for i, it := range d.list(y.V, ef+".mails") {
				f := fmt.Sprintf("%s.mails[%d]", ef, i)
				mm := d.fields(it, f, "to", "subject", "contains", "attachments")
				me := MailExpect{Pos: d.pos(it)}
				for k, dst := range map[string]*string{"to": &me.To, "subject": &me.Subject, "contains": &me.Contains} {
					if x, ok := mm[k]; ok {
						*dst = d.str(x.V, f+"."+k)
					}
				}
				if x, ok := mm["attachments"]; ok {
					for _, a := range d.list(x.V, f+".attachments") {
						me.Attachments = append(me.Attachments, d.str(a, f+".attachments"))
					}
				}
				tc.Expect.Mails = append(tc.Expect.Mails, me)
			}
		}
		if y, ok := em["documents"]; ok {
			for i, it := range d.list(y.V, ef+".documents") {
				f := fmt.Sprintf("%s.documents[%d]", ef, i)
				dm := d.fields(it, f, "name", "contentType", "contains")
				de := DocumentExpect{Pos: d.pos(it)}
				for k, dst := range map[string]*string{"name": &de.Name, "contentType": &de.ContentType, "contains": &de.Contains} {
					if x, ok := dm[k]; ok {
						*dst = d.str(x.V, f+"."+k)
					}
				}
				tc.Expect.Documents = append(tc.Expect.Documents, de)
			}
		}
		if y, ok := em["error"]; ok {
			tc.Expect.HasError = true
			v := deref(y.V)
			switch {
			case isNull(v):
			case v.Kind == yaml.ScalarNode:
				tc.Expect.Error = v.Value
			default:
				d.problem(y.V, ef+".error", "write part of the expected error message, or null for no error", "expected text or null, got %s", kindName(y.V))
			}
		}
	}
	if x, ok := m["http"]; ok {
		l.httpFixtures(d, x.V, field+".http", tc)
	}
	if x, ok := m["mail"]; ok {
		if v := d.str(x.V, field+".mail"); v != "capture" {
			d.problem(x.V, field+".mail", "write `mail: capture`", "`%s` is not a mail mode: a testcase's mail is captured, never sent", v)
		}
		tc.MailCapture = true
	}
	if x, ok := m["sql"]; ok {
		l.sqlFixtures(d, x.V, field+".sql", tc)
	}
	if x, ok := m["mongodb"]; ok {
		l.mongoFixtures(d, x.V, field+".mongodb", tc)
	}
	if x, ok := m["steps"]; ok {
		l.testSteps(d, x.V, field+".steps", tc)
	}
	if x, ok := m["tolerance"]; ok {
		if f, ok := d.number(x.V, field+".tolerance"); ok {
			if f < 0 {
				d.problem(x.V, field+".tolerance", "write an absolute difference such as 0.000001", "the tolerance cannot be negative")
			}
			tc.Tolerance = f
		}
	}
	l.tcs = append(l.tcs, info)
	l.rs.Testcases = append(l.rs.Testcases, tc)
}

// objectValue reads a mapping as an *Object; null is nil.
func (l *loader) objectValue(d *decoder, n *yaml.Node, field string) *Object {
	if isNull(n) {
		return nil
	}
	if deref(n).Kind != yaml.MappingNode {
		d.problem(n, field, "write key: value lines", "expected a mapping, got %s", kindName(n))
		return nil
	}
	v, _ := d.value(n, field)
	obj, _ := v.(*Object)
	return obj
}

// rawEntries lists a mapping's keys without reporting anything: the value was read (and reported on)
// already, this is only for positions.
func rawEntries(n *yaml.Node) []entry {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].ShortTag() == "!!merge" {
			continue
		}
		out = append(out, entry{Key: keyText(n.Content[i]), K: n.Content[i], V: n.Content[i+1]})
	}
	return out
}

// parseNow reads a testcase clock: RFC 3339, or a date meaning midnight in the ruleset's zone.
func parseNow(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation(time.DateOnly, s, loc)
}

var httpFixtureKeys = []string{"method", "url", "status", "headers", "json", "body", "delay"}

// httpFixtures reads `http: [{method, url, status, headers, json | body, delay}]`.
func (l *loader) httpFixtures(d *decoder, n *yaml.Node, field string, tc *Testcase) {
	for i, it := range d.list(n, field) {
		f := fmt.Sprintf("%s[%d]", field, i)
		fx := &HTTPFixture{Method: "GET", Status: 200, Pos: d.pos(it)}
		m := d.fields(it, f, httpFixtureKeys...)
		if x, ok := m["method"]; ok {
			fx.Method = strings.ToUpper(d.str(x.V, f+".method"))
		}
		if x, ok := m["url"]; ok {
			fx.URL = d.str(x.V, f+".url")
		}
		if !strings.HasPrefix(fx.URL, "http://") && !strings.HasPrefix(fx.URL, "https://") {
			d.problem(it, f+".url", "write the absolute URL the rule calls, e.g. https://api.example.com/score/*", "a fixture needs the url it answers")
		}
		if x, ok := m["status"]; ok {
			if v, ok := d.number(x.V, f+".status"); ok {
				if v < 100 || v > 599 || v != float64(int(v)) {
					d.problem(x.V, f+".status", "write an HTTP status from 100 to 599", "`%v` is not an HTTP status", v)
				}
				fx.Status = int(v)
			}
		}
		if x, ok := m["headers"]; ok {
			fx.Headers = map[string]string{}
			for _, e := range d.entries(x.V, f+".headers") {
				fx.Headers[e.Key] = d.str(e.V, f+".headers."+e.Key)
			}
		}
		j, hasJ := m["json"]
		b, hasB := m["body"]
		switch {
		case hasJ && hasB:
			d.problem(b.K, f+".body", "keep one of json and body", "a fixture answers json or body, not both")
		case hasJ:
			fx.JSON, _ = d.value(j.V, f+".json")
			fx.HasJSON = true
		case hasB:
			fx.Body = d.str(b.V, f+".body")
		}
		if x, ok := m["delay"]; ok {
			fx.Delay = d.duration(x.V, f+".delay")
		}
		tc.HTTP = append(tc.HTTP, fx)
	}
}

// sqlFixtures reads `sql: {crm: {file: fixtures/crm.sql} | {script: "create table …"}}`.
func (l *loader) sqlFixtures(d *decoder, n *yaml.Node, field string, tc *Testcase) {
	for _, e := range d.entries(n, field) {
		f := field + "." + e.Key
		fx := &SQLFixture{Connection: e.Key, Pos: d.pos(e.K)}
		m := d.fields(e.V, f, "file", "script")
		x, hasFile := m["file"]
		sc, hasScript := m["script"]
		switch {
		case hasScript:
			fx.Script = d.str(sc.V, f+".script")
			if hasFile && l.jsonForm {
				fx.File = d.str(x.V, f+".file")
			} else if hasFile {
				d.problem(x.K, f+".file", "keep the script in one place: remove `script` or `file`", "both `script` and `file` are given")
			}
		case hasFile && l.jsonForm:
			d.problem(x.K, f+".file", "add `script` with the text of the file", "the JSON form carries the script itself, next to `file`")
		case hasFile:
			p := d.str(x.V, f+".file")
			if msg, hint := checkPath(p, ".sql"); msg != "" {
				d.problem(x.V, f+".file", hint, "%s", msg)
				continue
			}
			data, ok := l.readFile(d, x.V, f+".file", p)
			if !ok {
				continue
			}
			fx.File, fx.Script = p, string(data)
		default:
			d.problem(e.K, f, "write `"+e.Key+": {file: fixtures/"+e.Key+".sql}` (relative to the ruleset folder) or `script:`", "a SQL fixture needs a script that creates and fills its tables")
		}
		tc.SQL = append(tc.SQL, fx)
	}
}

// mongoFixtures reads `mongodb: {docs: {applications: [{…}, …]}}`: connection, collection, documents.
func (l *loader) mongoFixtures(d *decoder, n *yaml.Node, field string, tc *Testcase) {
	for _, e := range d.entries(n, field) {
		f := field + "." + e.Key
		fx := &MongoFixture{Connection: e.Key, Pos: d.pos(e.K)}
		for _, c := range d.entries(e.V, f) {
			cf := f + "." + c.Key
			coll := MongoCollection{Name: c.Key, Documents: []any{}}
			for i, it := range d.list(c.V, cf) {
				if it.Kind != yaml.MappingNode {
					d.problem(it, fmt.Sprintf("%s[%d]", cf, i), "write each document as an object, e.g. {_id: 1, Name: Ann}", "a document is an object, got %s", kindName(it))
					continue
				}
				if v, ok := d.value(it, fmt.Sprintf("%s[%d]", cf, i)); ok {
					coll.Documents = append(coll.Documents, v)
				}
			}
			fx.Collections = append(fx.Collections, coll)
		}
		tc.MongoDB = append(tc.MongoDB, fx)
	}
}
