package rulesets

import (
	"strings"
	"testing"
)

// TestProblems loads broken rulesets and checks every reported problem: its place, field and message
// (as a prefix of the printed line), in sorted order, all at once.
func TestProblems(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		globals bool // check unknown names against testGlobals
		libs    map[string]*Ruleset
		want    []string
	}{
		{
			name:  "yaml syntax error",
			files: map[string]string{"ruleset.yaml": "name: x\nrules:\n  A: 1\n B: 2\n"},
			want:  []string{"ruleset.yaml:4: invalid YAML: did not find expected key"}, // the line of ` B: 2`
		},
		{
			name:  "an unclosed flow mapping names its line",
			files: map[string]string{"ruleset.yaml": "name: x\nrules:\n  A: {expression: 1\n  B: 2\n"},
			want:  []string{"ruleset.yaml:3: invalid YAML: did not find expected ',' or '}'"},
		},
		{
			name:  "yaml syntax error on the first line",
			files: map[string]string{"ruleset.yaml": "name: x: y\n"},
			want:  []string{"ruleset.yaml:1: invalid YAML: mapping values are not allowed in this context"},
		},
		{
			name:  "tab indentation",
			files: map[string]string{"ruleset.yaml": "name: x\nrules:\n\tA: 1\n"},
			want:  []string{"ruleset.yaml:3: invalid YAML: found character that cannot start any token"},
		},
		{
			name:  "unknown anchor",
			files: map[string]string{"ruleset.yaml": "name: x\nconstants:\n  A: *nope\n"},
			want:  []string{"ruleset.yaml:3:6: invalid YAML: unknown anchor 'nope' referenced"},
		},
		{
			name:  "missing ruleset.yaml",
			files: map[string]string{"rules/a.js": "1"},
			want:  []string{"ruleset.yaml: cannot read "},
		},
		{
			name:  "empty ruleset.yaml",
			files: map[string]string{"ruleset.yaml": "# nothing\n"},
			want:  []string{"ruleset.yaml:1:1: ruleset.yaml is empty"},
		},
		{
			name:  "not a mapping",
			files: map[string]string{"ruleset.yaml": "- a\n- b\n"},
			want:  []string{"ruleset.yaml:1:1: expected a mapping at the top, got a list"},
		},
		{
			name:  "cultures CLDR has no data for",
			files: map[string]string{"ruleset.yaml": "name: a\nversion: 1.0.0\nculture: tlh\ntestcases:\n  - name: t\n    culture: en-ZZ\n    input: {}\n    expect: {}\n"},
			want: []string{
				"ruleset.yaml:3:10: culture: `tlh` is not a culture: CLDR 48.0.0 has no data for the language tlh",
				"ruleset.yaml:6:14: testcases.t.culture: `en-ZZ` is not a culture: ZZ is not a country or a region CLDR has data for",
			},
		},
		{
			name:  "name, version, culture, timezone",
			files: map[string]string{"ruleset.yaml": "version: 1.0\nculture: xx-!!\ntimezone: Mars/Olympus\nlibrary: yes\nuses: [Bad_Name, ok, ok]\n"},
			want: []string{
				"ruleset.yaml:1:1: name: a ruleset needs a name",
				"ruleset.yaml:1:10: version: `1.0` is not a semantic version (write MAJOR.MINOR.PATCH",
				"ruleset.yaml:2:10: culture: `xx-!!` is not a culture: not a BCP 47 tag",
				"ruleset.yaml:3:11: timezone: unknown time zone `Mars/Olympus`",
				"ruleset.yaml:4:10: library: expected true or false, got the text \"yes\"",
				"ruleset.yaml:5:8: uses: `Bad_Name` is not a valid ruleset name",
				"ruleset.yaml:5:22: uses: `ok` is listed twice",
			},
		},
		{
			name:  "invalid ruleset name",
			files: map[string]string{"ruleset.yaml": "name: Travel Insurance\n"},
			want:  []string{"ruleset.yaml:1:7: name: `Travel Insurance` is not a valid ruleset name (use lowercase letters, digits and -"},
		},
		{
			name:  "unknown keys with did-you-mean",
			files: map[string]string{"ruleset.yaml": "name: x\nrule:\n  A: 1\nrules:\n  B:\n    expresion: 1\n    outptu: false\n    colour: red\n"},
			want: []string{
				"ruleset.yaml:2:1: rule: unknown key `rule` (did you mean `rules`?)",
				"ruleset.yaml:5:3: rules.B: no `expression` or `file` given",
				"ruleset.yaml:6:5: rules.B.expresion: unknown key `expresion` (did you mean `expression`?)",
				"ruleset.yaml:7:5: rules.B.outptu: unknown key `outptu` (did you mean `output`?)",
				"ruleset.yaml:8:5: rules.B.colour: unknown key `colour` (known keys: type, values, of, output, description, expression, file)",
			},
		},
		{
			name:  "duplicate keys",
			files: map[string]string{"ruleset.yaml": "name: x\nrules:\n  A: 1\n  A: 2\n"},
			want:  []string{"ruleset.yaml:4:3: rules.A: duplicate key `A` (first at line 3)"},
		},
		{
			name: "types",
			files: map[string]string{"ruleset.yaml": `name: x
entities:
  Person: {properties: {Name: string}}
inputs:
  A: {type: nubmer}
  B: {type: enum}
  C: {type: enum, values: [a, a, '', 3]}
  D: {type: string, values: [a]}
  E: {type: number, of: string}
  F: {type: array, of: Persn}
  G: Person
  H: {type: [number]}
`},
			want: []string{
				"ruleset.yaml:5:13: inputs.A.type: unknown type `nubmer` (did you mean `number`?)",
				"ruleset.yaml:6:13: inputs.B.type: type enum needs `values`",
				"ruleset.yaml:7:31: inputs.C.values: `a` is listed twice",
				"ruleset.yaml:7:34: inputs.C.values: an enum value cannot be empty",
				"ruleset.yaml:7:38: inputs.C.values: enum values are text, got a number",
				"ruleset.yaml:8:29: inputs.D.values: `values` only applies to type enum",
				"ruleset.yaml:9:25: inputs.E.of: `of` only applies to type array",
				"ruleset.yaml:10:24: inputs.F.of.type: unknown type `Persn` (did you mean `Person`?)",
				"ruleset.yaml:12:13: inputs.H.type: expected a type name, got a list",
			},
		},
		{
			name: "defaults",
			files: map[string]string{"ruleset.yaml": `name: x
entities:
  Person:
    properties:
      Name: {type: string, required: true}
      Age: number
inputs:
  A: {type: number, default: abc}
  B: {type: date, default: 2023-13-45}
  C: {type: enum, values: [a, b], default: c}
  D: {type: Person, default: {Age: 3}}
  E: {type: Person, default: {Name: x, Shoe: 42}}
  F: {type: array, of: number, default: [1, two]}
  G: {type: number, required: true, default: 1}
  H: {type: date, default: 2023-07-20T10:00:00+02:00}
  I: {type: boolean, default: null}
`},
			want: []string{
				"ruleset.yaml:8:30: inputs.A.default: the default does not fit type number: expected a number, got the text \"abc\"",
				"ruleset.yaml:9:28: inputs.B.default: the default does not fit type date: `2023-13-45` is not a date",
				"ruleset.yaml:10:44: inputs.C.default: the default does not fit type enum: expected one of a, b, got the text \"c\"",
				"ruleset.yaml:11:30: inputs.D.default: the default does not fit type Person: the required property `Name` is missing",
				"ruleset.yaml:12:30: inputs.E.default: the default does not fit type Person: `Shoe` is not a property of Person",
				"ruleset.yaml:13:41: inputs.F.default: the default does not fit type number[]: item 1: expected a number",
				"ruleset.yaml:14:37: inputs.G.default: a required value cannot have a default",
			},
		},
		{
			name: "names",
			files: map[string]string{"ruleset.yaml": `name: x
inputs:
  class: number
  Math: number
  __secret: number
  my-input: number
  ROUND: number
  Age: number
constants:
  Age: 3
rules:
  Age: 1
functions:
  F:
    params: {new: number, ok: number}
    body: ok
alerts:
  bad-alert: {level: info, when: 'true', message: x}
`},
			globals: true,
			want: []string{
				"ruleset.yaml:3:3: inputs.class: `class` is a reserved word in JavaScript",
				"ruleset.yaml:4:3: inputs.Math: `Math` would hide the standard JavaScript global of that name",
				"ruleset.yaml:5:3: inputs.__secret: `__secret` starts with __, which is reserved for the engine",
				"ruleset.yaml:6:3: inputs.my-input: `my-input` is not a valid JavaScript identifier",
				"ruleset.yaml:7:3: inputs.ROUND: `ROUND` would hide the built-in `ROUND`",
				"ruleset.yaml:10:3: constants.Age: `Age` is already declared as an input at ruleset.yaml:8:3",
				"ruleset.yaml:12:3: rules.Age: `Age` is already declared as an input at ruleset.yaml:8:3",
				"ruleset.yaml:15:14: functions.F.params.new: `new` is a reserved word in JavaScript",
				"ruleset.yaml:18:3: alerts.bad-alert: `bad-alert` is not a valid JavaScript identifier",
			},
		},
		{
			name:  "globals are only forbidden when known",
			files: map[string]string{"ruleset.yaml": "name: x\ninputs:\n  ROUND: number\n"},
			want:  nil,
		},
		{
			name: "code problems",
			files: map[string]string{
				"ruleset.yaml": `name: x
rules:
  A:
    expression: 1
    file: rules/a.js
  B: {}
  C:
  D: {file: rules/missing.js}
  E: {file: ../outside.js}
  F: {file: rules/bad.js}
  G: [1, 2]
functions:
  H: {params: {x: number}}
`,
				"rules/a.js":   "1",
				"rules/bad.js": "const x = 1;\nreturn x +* 2;\n",
			},
			want: []string{
				"rules/bad.js:2:11: rules.F.file: syntax error: Unexpected token *",
				"ruleset.yaml:5:5: rules.A.file: both `expression` and `file` are given",
				"ruleset.yaml:6:3: rules.B: no `expression` or `file` given",
				"ruleset.yaml:7:5: rules.C: expected an expression or a mapping, got null",
				"ruleset.yaml:8:13: rules.D.file: cannot read rules/missing.js: no such file or directory (create the file, or fix the path",
				"ruleset.yaml:9:13: rules.E.file: `../outside.js` is not a plain path inside the ruleset folder",
				"ruleset.yaml:11:6: rules.G: expected an expression or a mapping, got a list",
				"ruleset.yaml:13:3: functions.H: no `body` or `file` given",
			},
		},
		{
			name: "alerts",
			files: map[string]string{"ruleset.yaml": `name: x
alerts:
  A: {level: fatal, when: 'true', message: x}
  B: {when: 'true'}
  C:
  D: {level: info, when: 'x ==', message: "${"}
`},
			want: []string{
				"ruleset.yaml:3:14: alerts.A.level: unknown level `fatal` (use error, warning or info)",
				"ruleset.yaml:4:3: alerts.B.level: an alert needs a level",
				"ruleset.yaml:4:3: alerts.B.message: an alert needs a message",
				"ruleset.yaml:5:3: alerts.C.level: an alert needs a level",
				"ruleset.yaml:5:3: alerts.C.when: an alert needs a `when` condition",
				"ruleset.yaml:5:3: alerts.C.message: an alert needs a message",
				"ruleset.yaml:6:31: alerts.D.when: syntax error: Unexpected end of input",
				"ruleset.yaml:6:46: alerts.D.message: syntax error in message template: Unexpected end of input",
			},
		},
		{
			name: "outputs",
			files: map[string]string{"ruleset.yaml": `name: x
inputs:
  Echo: {type: number, output: true}
rules:
  A: 1
  B: {output: A, expression: 2}
  C: {output: Echo, expression: 3}
  D: {output: false, expression: 4}
  E: {output: 12, expression: 5}
`},
			want: []string{
				"ruleset.yaml:6:15: rules.B: output key `A` is also written by rules.A",
				"ruleset.yaml:7:15: rules.C: output key `Echo` is also written by inputs.Echo",
				"ruleset.yaml:9:15: rules.E.output: expected true, false or a key name, got a number",
			},
		},
		{
			name: "unknown names",
			files: map[string]string{"ruleset.yaml": `name: x
inputs:
  NumberOfDays: number
entities:
  Person:
    properties: {Birthdate: date}
    calculated:
      Age: AGE(Birthdate) + Offset
functions:
  F:
    params: {n: number}
    body: |
      const local = n * 2;
      return local + NumberOfDay;
rules:
  A: ROUND(NumberOfDays) + Math.PI + undefined + console.log + Intl
  B: |
    let total = 0;
    for (const x of Itmes) total += x;
    total
alerts:
  Big: {level: info, when: A > Limit, message: "${Foo}"}
`},
			globals: true,
			want: []string{
				"ruleset.yaml:8:29: entities.Person.calculated.Age: unknown name `Offset`",
				"ruleset.yaml:14:22: functions.F.body: unknown name `NumberOfDay` (did you mean `NumberOfDays`?)",
				"ruleset.yaml:16:64: rules.A: unknown name `Intl` (the JavaScript engine (goja) does not provide it)",
				"ruleset.yaml:19:21: rules.B: unknown name `Itmes`",
				"ruleset.yaml:22:32: alerts.Big.when: unknown name `Limit`",
				"ruleset.yaml:22:51: alerts.Big.message: unknown name `Foo`",
			},
		},
		{
			name:  "unknown names are not checked without globals",
			files: map[string]string{"ruleset.yaml": "name: x\nrules:\n  A: Whatever + ROUND(1)\n"},
			want:  nil,
		},
		{
			name:    "unknown libraries switch the unknown-name check off",
			files:   map[string]string{"ruleset.yaml": "name: x\nuses: [finance-common]\nrules:\n  A: LibFunction(1)\n"},
			globals: true,
			want:    nil,
		},
		{
			name:  "libraries",
			files: map[string]string{"ruleset.yaml": "name: x\nuses: [fin, plain]\nrules:\n  A: Annuity(Rate) + Missing + Plain\n"},
			libs: map[string]*Ruleset{
				"fin":   {Name: "fin", Library: true, Functions: []*Function{{Name: "Annuity"}}, Constants: []*Constant{{Name: "Rate"}}},
				"plain": {Name: "plain", Functions: []*Function{{Name: "Plain"}}},
			},
			globals: true,
			want: []string{
				"ruleset.yaml:2:13: uses: `plain` is not a library (set `library: true` in plain)",
				"ruleset.yaml:4:22: rules.A: unknown name `Missing`",
			},
		},
		{
			name: "cycles",
			files: map[string]string{"ruleset.yaml": `name: x
functions:
  F: {params: {n: number}, body: 'n + B'}
  Fact: {params: {n: number}, body: 'n <= 1 ? 1 : n * Fact(n - 1)'}
  Even: {params: {n: number}, body: 'n == 0 || Odd(n - 1)'}
  Odd: {params: {n: number}, body: 'n != 0 && Even(n - 1)'}
  Shadow: {params: {A: number}, body: 'A * 2'}
rules:
  A: F(1) + Fact(3) + Even(4)
  B: C + 1
  C: A * 2
  D: D + 1
  E: Shadow(1)
  G: |
    const H = 2;
    H
  H: G
entities:
  P:
    properties: {X: number}
    calculated:
      Y: Z + X
      Z: Y * 2
      W: X
`},
			want: []string{
				"ruleset.yaml:9:3: rules.A: reference cycle: A → F → B → C → A",
				"ruleset.yaml:12:3: rules.D: reference cycle: D → D",
				"ruleset.yaml:22:7: entities.P.calculated.Y: reference cycle: Y → Z → Y",
			},
		},
		{
			name: "tables",
			files: map[string]string{
				"ruleset.yaml": `name: x
tables:
  Levels:
    columns: [from, to, from, '']
    rows:
      Low: [0, 49]
  Ranges:
    columns: [from, to]
    rows:
      A: [10, 5]
      B: [x, 5]
      C: [1, [2]]
  Empty: {rows: {}}
  FromCSV: {file: tables/t.csv}
  BothKinds: {file: tables/t.csv, columns: [a]}
  NoFile: {file: tables/none.csv}
  WrongExt: {file: tables/t.txt}
`,
				"tables/t.csv": "key,from,to\nlow,0,10\nhigh,20\nlow,1,2\nmid,x,30\n",
			},
			want: []string{
				"ruleset.yaml:4:25: tables.Levels.columns: duplicate column `from`",
				"ruleset.yaml:4:31: tables.Levels.columns: column 4 has no name",
				"ruleset.yaml:6:7: tables.Levels.rows.Low: row `Low` has 2 values, but the table has 4 columns (give one value per column (from, to, from, ))",
				"ruleset.yaml:10:11: tables.Ranges.rows.A: row `A` has from 10 greater than to 5",
				"ruleset.yaml:11:11: tables.Ranges.rows.B: `from` of row `B` is not a number",
				"ruleset.yaml:12:14: tables.Ranges.rows.C: a table cell cannot be a list",
				"ruleset.yaml:12:14: tables.Ranges.rows.C: `to` of row `C` is not a number",
				"ruleset.yaml:13:3: tables.Empty: a table needs `columns` and `rows`, or a CSV `file`",
				"ruleset.yaml:15:35: tables.BothKinds: a table read from a CSV file takes its columns and rows from the file",
				"ruleset.yaml:16:18: tables.NoFile.file: cannot read tables/none.csv",
				"ruleset.yaml:17:20: tables.WrongExt.file: `tables/t.txt` does not end in .csv",
				"tables/t.csv:3:1: tables.FromCSV.rows.high: row `high` has 1 values, but the table has 2 columns",
				"tables/t.csv:4:1: tables.FromCSV.file: duplicate row key `low` (first at line 2)",
				"tables/t.csv:5:5: tables.FromCSV.rows.mid: `from` of row `mid` is not a number",
			},
		},
		{
			name: "broken csv",
			files: map[string]string{
				"ruleset.yaml": "name: x\ntables:\n  T: {file: tables/t.csv}\n  U: {file: tables/u.csv}\n",
				"tables/t.csv": "key,a\nx,\"unclosed\n",
				"tables/u.csv": "",
			},
			want: []string{
				"tables/t.csv:2:13: tables.T.file: invalid CSV: extraneous or missing \" in quoted-field",
				"tables/u.csv:1: tables.U.file: tables/u.csv is empty",
			},
		},
		{
			name: "constants",
			files: map[string]string{"ruleset.yaml": `name: x
constants:
  A: {env: 1BAD}
  B: {env: OK, default: [1, 2]}
  C: .inf
  D: !!binary aGVsbG8=
`},
			want: []string{
				"ruleset.yaml:3:12: constants.A.env: `1BAD` is not a valid environment variable name",
				"ruleset.yaml:5:6: constants.C: `.inf` is not a usable number",
				"ruleset.yaml:6:6: constants.D: unsupported value with tag !!binary",
			},
		},
		{
			name: "testcases",
			files: map[string]string{
				"ruleset.yaml": `name: x
rules:
  Total: 1
  Hidden: {output: false, expression: 2}
  Renamed: {output: Shown, expression: 3}
alerts:
  TooYoung: {level: error, when: 'false', message: x}
testcases:
  - name: one
    expect:
      output: {Totl: 1, Hidden: 2, Renamed: 3, Shown: 3}
      alerts: [TooOld, TooYoung]
  - name: one
  - expect: {strict: maybe}
    now: yesterday
    tolerance: -1
    culture: ''
    input: [1]
`,
				"tests/a.yaml": "name: not a list\n",
				"tests/b.yaml": "- name: one\n- name: two\n  inptu: {}\n- 42\n",
			},
			want: []string{
				"ruleset.yaml:11:16: testcases.one.expect.output: `Totl` is not an output of this ruleset (did you mean `Total`?)",
				"ruleset.yaml:11:25: testcases.one.expect.output: `Hidden` is not an output of this ruleset (rule Hidden has output: false; it is not in the output)",
				"ruleset.yaml:11:36: testcases.one.expect.output: `Renamed` is not an output of this ruleset (rule Renamed is in the output as Shown)",
				"ruleset.yaml:12:16: testcases.one.expect.alerts: `TooOld` is not an alert of this ruleset (the alerts are: TooYoung)",
				"ruleset.yaml:13:5: testcases.one.name: duplicate testcase name (first at ruleset.yaml:9:5)",
				"ruleset.yaml:14:5: testcases[2].name: a testcase needs a name",
				"ruleset.yaml:14:22: testcases[2].expect.strict: expected true or false",
				"ruleset.yaml:15:10: testcases[2].now: `yesterday` is not a time",
				"ruleset.yaml:16:16: testcases[2].tolerance: the tolerance cannot be negative",
				"ruleset.yaml:17:14: testcases[2].culture: the culture is empty",
				"ruleset.yaml:18:12: testcases[2].input: expected a mapping, got a list",
				"tests/a.yaml:1:1: testcases: testcases are a list, got a mapping",
				"tests/b.yaml:1:3: testcases.one.name: duplicate testcase name (first at ruleset.yaml:9:5)",
				"tests/b.yaml:3:3: testcases.two.inptu: unknown key `inptu` (did you mean `input`?)",
				"tests/b.yaml:4:3: testcases[2]: a testcase is a mapping, got a number",
			},
		},
		{
			name: "entities",
			files: map[string]string{"ruleset.yaml": `name: x
entities:
  date: {}
  P:
    persisted: 1
    properties:
      class: string
      Name: {type: string, default: 3}
    calculated:
      Name: 1
      Z: [1]
      Q: {type: number}
`},
			want: []string{
				"ruleset.yaml:3:3: entities.date: `date` is a built-in type name",
				"ruleset.yaml:5:16: entities.P.persisted: expected true or false, got a number",
				"ruleset.yaml:7:7: entities.P.properties.class: `class` is a reserved word in JavaScript",
				"ruleset.yaml:8:37: entities.P.properties.Name.default: the default does not fit type string: expected text, got the number 3",
				"ruleset.yaml:10:7: entities.P.calculated.Name: `Name` is also a stored property of P",
				"ruleset.yaml:11:10: entities.P.calculated.Z: expected an expression or a mapping with expression, got a list",
				"ruleset.yaml:12:7: entities.P.calculated.Q: no `expression` or `file` given",
			},
		},
		{
			name: "all at once, sorted across files",
			files: map[string]string{
				"ruleset.yaml": "name: x\nrules:\n  A: 1 +\n  B: {file: rules/b.js}\n  C: ok(\n",
				"rules/b.js":   "let x = ;",
				"tests/t.yaml": "- name: t\n  expect: {alerts: [Nope]}\n",
			},
			want: []string{
				"rules/b.js:1:9: rules.B.file: syntax error: Unexpected token ;",
				"ruleset.yaml:3:9: rules.A: syntax error: Unexpected end of input",
				"ruleset.yaml:5:9: rules.C: syntax error: Unexpected end of input",
				"tests/t.yaml:2:21: testcases.t.expect.alerts: `Nope` is not an alert of this ruleset (declare it under alerts)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts *LoadOptions
			if tt.globals {
				opts = &LoadOptions{Globals: testGlobals, Libraries: tt.libs}
			}
			rs, err := LoadDir(writeFiles(t, tt.files), opts)
			got := problemsOf(t, err)
			if err != nil && rs != nil {
				t.Errorf("a failed load returned a ruleset")
			}
			ok := len(got) == len(tt.want)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.HasPrefix(got[i], tt.want[i])
			}
			if !ok {
				t.Errorf("problems:\n  %s\nwant (prefixes):\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestLoadErrorFormat(t *testing.T) {
	e := &LoadError{Problems: []Problem{
		{Pos: Pos{"ruleset.yaml", 42, 7}, Field: "rules.InsuranceCosts.expression", Message: "unknown name `Foo`", Hint: "did you mean `Fee`?"},
		{Pos: Pos{"ruleset.yaml", 3, 0}, Message: "invalid YAML: x"},
		{Message: "no position"},
	}}
	want := "ruleset.yaml:42:7: rules.InsuranceCosts.expression: unknown name `Foo` (did you mean `Fee`?)\n" +
		"ruleset.yaml:3: invalid YAML: x\n" +
		"no position"
	if e.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", e.Error(), want)
	}
}

func TestJSONFormProblems(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []string
	}{
		{"syntax", "{\"name\": \"x\",\n \"rules\": {\"A\": }\n}", []string{"r.json:2:"}},
		{"file without text", `{"name": "x", "rules": {"A": {"file": "rules/a.js"}}}`, []string{"r.json:1:31: rules.A.file: the JSON form carries the code itself"}},
		{"table file without rows", `{"name": "x", "tables": {"T": {"file": "tables/t.csv"}}}`, []string{"r.json:1:32: tables.T: the JSON form carries the table itself"}},
		{"bad code path", `{"name": "x", "rules": {"A": {"file": "/etc/x.js", "expression": "1"}}}`, []string{"r.json:1:39: rules.A.file: `/etc/x.js` is not a plain path"}},
		{"bad testcase file", `{"name": "x", "testcases": [{"name": "t", "file": "../t.yaml"}]}`, []string{"r.json:1:51: testcases.t.file: `../t.yaml` is not a plain path"}},
		{"unknown key", `{"name": "x", "rulez": {}}`, []string{"r.json:1:15: rulez: unknown key `rulez` (did you mean `rules`?)"}},
		{"syntax error in code", "{\"name\": \"x\", \"rules\": {\"A\": \"1 + * 2\"}}", []string{"r.json:1:35: rules.A: syntax error: Unexpected token *"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadJSON([]byte(tt.json), "r.json", nil)
			got := problemsOf(t, err)
			ok := len(got) == len(tt.want)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.HasPrefix(got[i], tt.want[i])
			}
			if !ok {
				t.Errorf("problems:\n  %s\nwant (prefixes):\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
